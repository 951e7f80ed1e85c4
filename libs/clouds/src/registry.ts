import { formatPath, schemaIssues } from '@hearth/config';
import type { CloudDriver, DriverFactory, DriverKind } from './driver.js';
import { dockerDriver } from './docker/index.js';
import { ec2Driver } from './ec2/index.js';
import { openstackDriver } from './openstack/index.js';
import { simDriver } from './sim/index.js';

/**
 * Every driver Hearth ships, by the `driver` value of its config section (Libcloud's DRIVERS
 * map: a static table, no scanning of paths). A new driver is one line here; the pool
 * manager builds its cloud config union from the `configSchema` of each entry.
 */
export const drivers = {
  docker: dockerDriver,
  ec2: ec2Driver,
  openstack: openstackDriver,
  sim: simDriver,
} as const satisfies { readonly [K in DriverKind]?: DriverFactory<{ readonly driver: K }> };

/** The driver kinds this build knows. */
export type KnownDriverKind = keyof typeof drivers;

type ConfigOf<F> = F extends DriverFactory<infer C> ? C : never;

/** One cloud's config section: the union of every registered driver's config, told apart by `driver`. */
export type DriverConfig = { [K in KnownDriverKind]: ConfigOf<(typeof drivers)[K]> }[KnownDriverKind];

/** What every driver is made with. */
export type DriverDeps = Parameters<DriverFactory<unknown>['create']>[1];

/** True when `kind` names a registered driver. */
export function isKnownDriverKind(kind: string): kind is KnownDriverKind {
  return Object.hasOwn(drivers, kind);
}

/**
 * Makes the driver for one cloud's config section, looked up by its `driver` field. The
 * section is checked against that driver's schema first, so a config that skipped
 * loadConfig still fails with every wrong path named.
 * @throws Error for an unknown `driver` kind or a section its schema rejects; RangeError for
 *   settings the schema cannot express (a sim boot time no distribution fits).
 */
export function createDriver(config: DriverConfig, deps: DriverDeps): CloudDriver {
  const kind: string = config.driver;
  const name = (config as { name?: unknown }).name;
  const label = typeof name === 'string' ? `cloud ${name}` : 'a cloud';
  if (!isKnownDriverKind(kind)) {
    const known = Object.keys(drivers).join(', ');
    throw new Error(`creating the driver of ${label}: unknown driver "${kind}" (known: ${known})`);
  }
  const factory: DriverFactory<unknown> = drivers[kind];
  const issues = schemaIssues(factory.configSchema, config);
  if (issues.length > 0) {
    const lines = issues.map((issue) => `  ${formatPath(issue.path) || '(top)'}: ${issue.message}`);
    throw new Error(`creating the driver of ${label}: its config is invalid\n${lines.join('\n')}`);
  }
  return factory.create(config, deps);
}

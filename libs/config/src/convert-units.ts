import type { TSchema } from 'typebox';
import { parseDuration, parseSize } from './units.js';
import { formatPath } from './config-error.js';
import { show } from './schema-issues.js';

type Report = (path: readonly (string | number)[], message: string) => void;

interface SchemaShape {
  'x-unit'?: 'ms' | 'bytes';
  type?: string;
  properties?: Record<string, TSchema>;
  additionalProperties?: TSchema | boolean;
  patternProperties?: Record<string, TSchema>;
  items?: TSchema;
  anyOf?: TSchema[];
}

/**
 * Walks the value beside its schema and turns "90s" into 90000 where the schema says
 * milliseconds (Duration) and "20GiB" into bytes where it says bytes (Size). A string that
 * came from a `${env:…}`/`${file:…}` reference (its path is in `fromReferences`) becomes a
 * number or boolean where the schema wants one, since references can only produce text.
 */
export function convertUnits(
  schema: TSchema,
  value: unknown,
  path: (string | number)[],
  report: Report,
  fromReferences: ReadonlySet<string> = new Set(),
): unknown {
  const shape = schema as SchemaShape;
  if (typeof value === 'string' && fromReferences.has(formatPath(path))) {
    if ((shape.type === 'integer' || shape.type === 'number') && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
    if (shape.type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  }
  const unit = shape['x-unit'] ?? shape.anyOf?.map((s) => (s as SchemaShape)['x-unit']).find(Boolean);
  if (unit && (typeof value === 'string' || typeof value === 'number')) {
    const converted = unit === 'ms' ? parseDuration(value) : parseSize(value);
    if (converted === undefined) {
      const example = unit === 'ms' ? '"90s", "5m", "1h30m" or milliseconds' : '"20GiB", "512MB" or bytes';
      report(path, `expected a ${unit === 'ms' ? 'duration' : 'size'} such as ${example}, got ${show(value)}`);
      return value;
    }
    return converted;
  }
  if (shape.anyOf && value && typeof value === 'object' && !Array.isArray(value)) {
    const branch = matchingBranch(shape.anyOf, value as Record<string, unknown>);
    if (branch) return convertUnits(branch, value, path, report, fromReferences);
  }
  if (Array.isArray(value) && shape.items) {
    const items = shape.items;
    return value.map((item, i) => convertUnits(items, item, [...path, i], report, fromReferences));
  }
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const rest =
      typeof shape.additionalProperties === 'object'
        ? shape.additionalProperties
        : Object.values(shape.patternProperties ?? {})[0];
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => {
        const childSchema = shape.properties?.[key] ?? rest;
        return [key, childSchema ? convertUnits(childSchema, child, [...path, key], report, fromReferences) : child];
      }),
    );
  }
  return value;
}

/**
 * The object branch of a union that this value is meant for: the one whose constant
 * properties (a discriminator such as `distribution: fixed`) all match; else the only
 * object branch there is.
 */
function matchingBranch(branches: TSchema[], value: Record<string, unknown>): TSchema | undefined {
  const objects = branches.filter((b) => (b as SchemaShape).properties);
  const matches = objects.filter((b) =>
    Object.entries((b as SchemaShape).properties ?? {}).every(([key, prop]) => {
      const constant = (prop as { const?: unknown }).const;
      return constant === undefined || value[key] === constant;
    }),
  );
  return matches.length === 1 ? matches[0] : objects.length === 1 ? objects[0] : undefined;
}

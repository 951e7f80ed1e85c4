import { existsSync } from 'node:fs';
import { environment, loadConfig } from '@hearth/config';
import { CliConfig } from '../config.js';
import { stackPaths, type StackPaths } from './paths.js';
import { absolute } from './preflight.js';

/** Options every stack command accepts. */
export interface StackOptions {
  config?: string;
  dataDir?: string;
  set?: string[];
  allowUnsafeNats?: boolean;
}

export interface StackContext {
  config: CliConfig;
  /** Absolute path of the configuration file, when there is one. */
  configPath?: string;
  /** Overrides to hand to every service: the user's, plus the resolved data directory. */
  set: string[];
  paths: StackPaths;
}

/**
 * Resolves which hearth.yaml applies (`--config`, else HEARTH_CONFIG, else ./hearth.yaml if
 * present, else the embedded defaults), loads it with the command-line overrides, and
 * works out the data directory's layout.
 * @throws ConfigError when the configuration is invalid
 */
export function stackContext(opts: StackOptions): StackContext {
  const env = environment();
  const chosen = opts.config ?? env['HEARTH_CONFIG'] ?? (existsSync('hearth.yaml') ? 'hearth.yaml' : undefined);
  const configPath = chosen ? absolute(chosen) : undefined;
  const set = [...(opts.set ?? [])];
  const dataDir = opts.dataDir ?? env['HEARTH_DATA_DIR'];
  if (dataDir) set.push(`dataDir=${absolute(dataDir)}`);
  if (opts.allowUnsafeNats) set.push('nats.server.allowUnsafeVersion=true');
  const config = loadConfig(CliConfig, { ...(configPath ? { path: configPath } : {}), env, set });
  // children must see the same absolute directory whatever their working directory
  const absoluteDataDir = absolute(config.dataDir);
  if (!dataDir) set.push(`dataDir=${absoluteDataDir}`);
  return {
    config,
    ...(configPath ? { configPath } : {}),
    set,
    paths: stackPaths(absoluteDataDir, config.nats.server.storeDir),
  };
}

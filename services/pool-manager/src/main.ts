#!/usr/bin/env node
import { runService } from '@hearth/bus';
import { checkReferences, PoolManagerConfig } from './config.js';
import { start } from './start.js';

await runService({ name: 'pool-manager', schema: PoolManagerConfig, validate: checkReferences, start });

#!/usr/bin/env node
import { runService } from '@hearth/bus';
import { GatewayConfig } from './config.js';
import { start } from './start.js';

await runService({ name: 'gateway', schema: GatewayConfig, start });

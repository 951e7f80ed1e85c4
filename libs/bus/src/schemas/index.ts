export * from './clouds.js';
export * from './common.js';
export * from './health.js';
export * from './machines.js';
export * from './pools.js';
export * from './usage.js';
export * from './leases.js';

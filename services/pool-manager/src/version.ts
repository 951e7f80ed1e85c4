import { readFileSync } from 'node:fs';

/** This package's version, as registered with the NATS service API. */
export const version: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

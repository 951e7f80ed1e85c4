import { packageVersion } from '@hearth/config';

/** This package's version, as registered with the NATS service API and shown by --version. */
export const version: string = packageVersion(new URL('../package.json', import.meta.url));

import { describe, expect, it } from 'vitest';
import { commonSettings } from '@hearth/config';
import { CliConfig } from './config.js';
import { serviceCatalogue } from './stack/services.js';

describe('CliConfig', () => {
  it('accepts every section a supervised service owns, and nothing else beyond the common ones', () => {
    const owned = serviceCatalogue.flatMap((s) => s.sections);
    const known = Object.keys(CliConfig.properties);
    expect(new Set(known)).toEqual(new Set([...Object.keys(commonSettings), ...owned]));
  });
});

import { describe, expect, it } from 'vitest';
import { parseDuration, parseSize } from './units.js';

describe('parseDuration', () => {
  it('reads compound durations into milliseconds', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration(42)).toBe(42);
    expect(parseDuration('42')).toBe(42);
  });
  it('rejects text that is not a duration', () => {
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('10 parsecs')).toBeUndefined();
    expect(parseDuration('5m garbage')).toBeUndefined();
  });
});

describe('parseSize', () => {
  it('reads binary and decimal units into bytes', () => {
    expect(parseSize('20GiB')).toBe(20 * 1024 ** 3);
    expect(parseSize('512MB')).toBe(512_000_000);
    expect(parseSize('4k')).toBe(4_000);
    expect(parseSize(4096)).toBe(4096);
  });
  it('rejects unknown units', () => {
    expect(parseSize('3 furlongs')).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { ago, duration, table } from './table.js';

describe('table', () => {
  it('pads columns to their widest cell, right-aligns numbers and shows empty cells as -', () => {
    const rows = [
      { name: 'analysis', n: 12, note: 'ok' },
      { name: 'gpu', n: 3, note: undefined },
    ];
    const text = table(rows, [
      { heading: 'TYPE', cell: (r) => r.name },
      { heading: 'READY', cell: (r) => r.n, right: true },
      { heading: 'NOTE', cell: (r) => r.note },
    ]);
    expect(text.split('\n')).toEqual(['TYPE      READY  NOTE', 'analysis     12  ok', 'gpu           3  -']);
  });

  it('does not count colour codes as width', () => {
    const text = table([{ h: '\x1b[32mhealthy\x1b[0m' }, { h: 'down' }], [{ heading: 'HEALTH', cell: (r) => r.h }, { heading: 'X', cell: () => 'x' }]);
    expect(text.split('\n')[2]).toBe('down     x');
  });
});

describe('ago and duration', () => {
  it('read like people write them', () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    expect(ago(now - 5_000, now)).toBe('5s ago');
    expect(ago('2026-01-01T23:00:00Z', now)).toBe('1h ago');
    expect(ago(undefined, now)).toBeUndefined();
    expect(duration(90 * 60_000)).toBe('1h30m');
    expect(duration(2 * 3_600_000)).toBe('2h');
  });
});

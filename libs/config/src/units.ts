import Type, { type TNumber, type TNumberOptions } from 'typebox';

/** Schema marker: a number in milliseconds that operators may write as "90s", "5m", "1h30m". */
export function Duration(options: TNumberOptions = {}): TNumber {
  return Type.Number({ minimum: 0, ...options, 'x-unit': 'ms' });
}

/** Schema marker: a number of bytes that operators may write as "20GiB", "512MB", "4k". */
export function Size(options: TNumberOptions = {}): TNumber {
  return Type.Number({ minimum: 0, ...options, 'x-unit': 'bytes' });
}

const durationUnits: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * "90s" → 90000, "1h30m" → 5400000, "250ms" → 250, 42 → 42 (already milliseconds).
 * Returns undefined when the text is not a duration, so the caller can report it.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return value;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * (durationUnits[p[2] ?? ''] ?? NaN), 0));
}

const sizeUnits: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1_000,
  kb: 1_000,
  m: 1_000_000,
  mb: 1_000_000,
  g: 1_000_000_000,
  gb: 1_000_000_000,
  t: 1_000_000_000_000,
  tb: 1_000_000_000_000,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** "20GiB" → 21474836480, "512MB" → 512000000, 4096 → 4096. Undefined when not a size. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return value;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  if (!match) return undefined;
  const factor = sizeUnits[(match[2] ?? '').toLowerCase()];
  return factor === undefined ? undefined : Math.round(Number(match[1]) * factor);
}

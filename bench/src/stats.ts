export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Latency percentiles over samples in milliseconds. */
export function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN };
}

/** Prints a figure table and one JSON line (`BENCH {...}`) for machines to read. */
export function report(name: string, rows: Record<string, string | number>[]): void {
  console.log(`\n${name}`);
  console.table(rows);
  console.log(`BENCH ${JSON.stringify({ bench: name, at: new Date().toISOString(), rows })}`);
}

/** A column of a table: its heading and how to show a row's cell. */
export interface Column<T> {
  heading: string;
  cell: (row: T) => string | number | boolean | undefined;
  /** Right-align (numbers). */
  right?: boolean;
}

/**
 * Plain text table: a heading line, then one line per row, columns padded to their widest
 * cell and separated by two spaces; trailing spaces trimmed. Empty cells show as `-`.
 */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => show(c.cell(row))));
  const widths = columns.map((c, i) => Math.max(c.heading.length, ...cells.map((r) => visible(r[i] ?? ''))));
  const line = (values: string[]): string =>
    values
      .map((v, i) => {
        const pad = ' '.repeat(Math.max(0, (widths[i] ?? 0) - visible(v)));
        return columns[i]?.right ? pad + v : v + pad;
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.heading)), ...cells.map(line)].join('\n');
}

// colour codes take no room on the screen
const visible = (text: string): number => text.replace(/\x1b\[[0-9;]*m/g, '').length;

function show(value: string | number | boolean | undefined): string {
  if (value === undefined || value === '') return '-';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** `3s ago`, `5m ago`, `2h ago`, `4d ago` from a time in ms since epoch or an ISO string. */
export function ago(at: number | string | undefined, now = Date.now()): string | undefined {
  if (at === undefined) return undefined;
  const t = typeof at === 'number' ? at : Date.parse(at);
  if (Number.isNaN(t)) return undefined;
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/** `30m`, `2h`, `1h30m`, `3d` from a duration in ms. */
export function duration(ms: number): string {
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m}m`;
  if (m < 1440) return m % 60 ? `${Math.floor(m / 60)}h${m % 60}m` : `${m / 60}h`;
  return `${Math.round(m / 1440)}d`;
}

/** `analysis` → `an analysis`, `gpu` → `a gpu`: the article for a machine type's name. */
export function aOrAn(word: string): string {
  return `${/^[aeiou]/i.test(word) ? 'an' : 'a'} ${word}`;
}

/** `4096` → `4 GiB`, `512` → `512 MiB`. */
export function memory(mb: number): string {
  return mb >= 1024 ? `${+(mb / 1024).toFixed(1)} GiB` : `${mb} MiB`;
}

/** A duration for people: `850 ms`, `12 s`, `4 min`, `2 h 30 min`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(1)} s`;
  const minutes = Math.round(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
}

/** A timestamp (ms since epoch or ISO text) as local date and time; empty when absent. */
export function when(at: string | number | undefined): string {
  if (at === undefined) return '';
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? String(at) : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** Only the time of day, for live feeds. */
export function timeOfDay(at: string | number): string {
  const date = new Date(at);
  return Number.isNaN(date.getTime()) ? String(at) : date.toLocaleTimeString();
}

import { useSyncExternalStore } from 'react';

// Hash routes (`#/machines`) so that any path the gateway serves index.html at works, and a
// reload keeps the page without a server-side fallback route.

function current(): string {
  const path = location.hash.replace(/^#/, '');
  return path.startsWith('/') ? path : '/';
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

/** The current route, e.g. `/request/r-1`, re-rendering on every change. */
export function useRoute(): string {
  return useSyncExternalStore(subscribe, current);
}

/** Goes to `path`; `replace` swaps the history entry instead of adding one. */
export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', `#${path}`);
  else location.hash = path;
  if (opts.replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** The href for a route, for real links (`<a href={href('/machines')}>`). */
export function href(path: string): string {
  return `#${path}`;
}

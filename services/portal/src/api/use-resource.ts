import { useCallback, useEffect, useRef, useState } from 'react';
import { toProblem } from './client';
import type { Problem } from './types';

export interface Resource<T> {
  data: T | undefined;
  problem: Problem | undefined;
  /** Fetches again now; several calls within one refresh share it. */
  reload: () => void;
}

/**
 * Loads `load()` on mount, again every `refreshMs` (when given) and on `reload()`. Live
 * events call `reload()`; the timer is the fallback that keeps counts right when an event
 * is missed during a reconnect. A failed refresh keeps the last data and shows the problem.
 */
export function useResource<T>(load: () => Promise<T>, opts: { refreshMs?: number } = {}): Resource<T> {
  const [data, setData] = useState<T>();
  const [problem, setProblem] = useState<Problem>();
  const loader = useRef(load);
  loader.current = load;
  const inFlight = useRef(false);
  const again = useRef(false);
  const mounted = useRef(true);

  const reload = useCallback(() => {
    if (inFlight.current) {
      again.current = true;
      return;
    }
    inFlight.current = true;
    void loader.current().then(
      (value) => {
        if (!mounted.current) return;
        setData(value);
        setProblem(undefined);
      },
      (err: unknown) => {
        if (mounted.current) setProblem(toProblem(err));
      },
    ).finally(() => {
      inFlight.current = false;
      if (again.current && mounted.current) {
        again.current = false;
        reload();
      }
    });
  }, []);

  useEffect(() => {
    mounted.current = true;
    reload();
    const timer = opts.refreshMs ? setInterval(reload, opts.refreshMs) : undefined;
    return () => {
      mounted.current = false;
      clearInterval(timer);
    };
  }, [reload, opts.refreshMs]);

  return { data, problem, reload };
}

/** Data hooks: a loaded resource refreshed by live events (at most once a second), a clock. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { useLive } from './live.ts';
import type { LiveEvent } from './types.ts';

export interface Resource<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
  /** Replaces the data in place (live patches between reloads). */
  mutate: (fn: (data: T) => T) => void;
}

/** Minimum time between two reloads of one resource. */
export const MIN_RELOAD_MS = 1000;

/**
 * Loads `loader()` now and whenever `deps` change; reloads when a live event satisfies
 * `relevant`, never more often than once a second (a burst of events gives one reload after it).
 */
export function useResource<T>(
  loader: () => Promise<T>,
  deps: unknown[],
  relevant?: (e: LiveEvent) => boolean,
): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const loaderRef = useRef(loader);
  loaderRef.current = loader;
  const generation = useRef(0);
  const last = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = useCallback(() => {
    const gen = ++generation.current;
    last.current = Date.now();
    loaderRef.current().then(
      (value) => {
        if (gen !== generation.current) return;
        setData(value);
        setError(undefined);
        setLoading(false);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        setError(err instanceof Error ? err : new Error(String(err)));
        setLoading(false);
      },
    );
  }, []);

  const schedule = useCallback(() => {
    if (timer.current !== undefined) return;
    const wait = Math.max(0, last.current + MIN_RELOAD_MS - Date.now());
    timer.current = setTimeout(() => {
      timer.current = undefined;
      load();
    }, wait);
  }, [load]);

  useEffect(() => {
    setLoading(true);
    load();
    return () => {
      if (timer.current !== undefined) clearTimeout(timer.current);
      timer.current = undefined;
    };
  }, deps);

  useLive((batch) => {
    // Lost events (a gap after a restart, a slow tab's drops) may hide a change: reload too.
    const lost = (e: LiveEvent): boolean =>
      e.type === 'monitor.gap' || e.type === 'monitor.dropped';
    if (relevant && batch.some((e) => relevant(e) || lost(e))) schedule();
  });

  const mutate = useCallback(
    (fn: (d: T) => T) => setData((d) => (d === undefined ? d : fn(d))),
    [],
  );
  return { data, error, loading, reload: schedule, mutate };
}

/** The current time, ticking every `ms` (for "3 s ago" and running bars). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/**
 * Time as a seam: the actor system, backoff and timeouts read time only through a Clock,
 * so tests can drive a simulated clock instead of sleeping. Compatible with xstate's `clock`.
 * @module
 */

/** Timer handle, opaque to callers. */
export type TimerHandle = unknown;

/** A superset of xstate's Clock, so the actor system can be given it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: (...args: unknown[]) => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** `Date.now()` and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/**
 * Lets the process exit while `handle` is pending, where the clock's timers can hold it open
 * (Node's); a no-op for other handles (a simulated clock's).
 */
export function unrefTimer(handle: TimerHandle): TimerHandle {
  (handle as { unref?: () => void } | null)?.unref?.();
  return handle;
}

/**
 * Calls `fn` every `ms` on `clock` until the returned function is called; the timers never keep
 * the process alive. The next call is armed after `fn` returns (no overlap, no catch-up burst).
 */
export function every(clock: Clock, ms: number, fn: () => void): () => void {
  let stopped = false;
  let timer: TimerHandle;
  const arm = () => {
    timer = unrefTimer(
      clock.setTimeout(() => {
        if (stopped) return;
        try {
          fn();
        } finally {
          arm();
        }
      }, ms),
    );
  };
  arm();
  return () => {
    stopped = true;
    clock.clearTimeout(timer);
  };
}

/**
 * Resolves after `ms` on `clock`. `unref` (default true) lets the process exit meanwhile; a
 * signal that aborts resolves it early.
 */
export function sleep(
  clock: Clock,
  ms: number,
  opts: { signal?: AbortSignal; unref?: boolean } = {},
): Promise<void> {
  return new Promise((resolve) => {
    if (opts.signal?.aborted) return resolve();
    const done = () => {
      opts.signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const handle = clock.setTimeout(done, ms);
    if (opts.unref ?? true) unrefTimer(handle);
    const onAbort = () => {
      clock.clearTimeout(handle);
      done();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

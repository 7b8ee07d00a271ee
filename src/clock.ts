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

/**
 * Measures how long the event loop goes without running a timer: a 5 ms interval records
 * when it fires; the longest gap (start, ticks, stop) is the longest stall. A run that never
 * yields to the timer phase shows its whole duration.
 * @module
 */

/** A running watch; `stop()` returns the longest gap in ms. */
export interface LoopWatch {
  stop(): number;
}

/** Starts watching the event loop. */
export function watchLoop(intervalMs = 5): LoopWatch {
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(longest, performance.now() - last);
    },
  };
}

/**
 * Load-generation helpers shared by the NATS-mode benchmark: a bounded pipeline of requests,
 * a countdown of completion events with a deadline, and latency percentiles.
 * @module
 */

/** Runs `fn(i)` for i in [0, total) with at most `inFlight` calls pending at once. */
export async function pipelined(
  total: number,
  inFlight: number,
  fn: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < total) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, total) }, lane));
}

/** Counts completion events; `arm(n)` resolves once `n` more have arrived (or rejects late). */
export interface Countdown {
  hit(): void;
  arm(count: number): Promise<void>;
}

/** A countdown that rejects with a message naming `what` after `deadlineMs`. */
export function countdown(what: string, deadlineMs = 120_000): Countdown {
  let target = 0;
  let seen = 0;
  let done: (() => void) | undefined;
  return {
    hit(): void {
      if (++seen >= target && done) {
        const d = done;
        done = undefined;
        d();
      }
    },
    arm(count: number): Promise<void> {
      seen = 0;
      target = count;
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          done = undefined;
          reject(new Error(`${what}: ${seen} of ${count} completions after ${deadlineMs} ms`));
        }, deadlineMs);
        done = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

/** The `p`-th percentile (0–100, nearest rank) of `samples` (must not be empty). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('no samples');
  const s = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length, Math.max(1, rank)) - 1]!;
}

/** p50 and p99 of one series of latencies, in ms. */
export interface Percentiles {
  p50: number;
  p99: number;
}

/** p50 and p99 of `samples`. */
export function percentiles(samples: readonly number[]): Percentiles {
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

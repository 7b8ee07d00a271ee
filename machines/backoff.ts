/**
 * Retry delays: exponential backoff with a cap and optional jitter. Pure: the jitter sample is
 * an argument, and `jitterSample` draws it from the retry's identity (execution, step, attempt)
 * instead of `Math.random()`, so a step's delays are a function of its input.
 * @module
 */
import type { RetryPolicy } from '../src/workflow/types.ts';

/**
 * Delay before attempt `nextAttempt` (2 for the first retry):
 * `min(max, backoff * factor^(nextAttempt-2))`, then ± `jitter` share using `sample` in [0,1).
 */
export function backoffDelay(policy: RetryPolicy, nextAttempt: number, sample = 0.5): number {
  const exponent = Math.max(0, nextAttempt - 2);
  const base = Math.min(policy.maxMs, policy.backoffMs * Math.pow(policy.factor, exponent));
  if (policy.jitter <= 0) return Math.round(base);
  const spread = base * policy.jitter;
  return Math.max(0, Math.round(base - spread + 2 * spread * sample));
}

/** True when a policy allows another attempt after `attempt` attempts. */
export function hasAttemptsLeft(policy: RetryPolicy, attempt: number): boolean {
  return attempt < policy.attempts;
}

/**
 * The jitter sample in [0,1) for attempt `attempt` of step `stepId` in `executionId`: a hash, so
 * the same retry always waits the same time (replays and tests included), while retries of other
 * executions (ids carry 80 random bits) or other steps spread out as random samples would.
 */
export function jitterSample(executionId: string, stepId: string, attempt: number): number {
  const key = `${executionId}\u0000${stepId}\u0000${attempt}`;
  // FNV-1a over the UTF-16 code units, then murmur3's fmix32 finaliser so every input bit
  // reaches every output bit (ids of one millisecond differ only in their last characters).
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

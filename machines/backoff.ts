/**
 * Retry delays: exponential backoff with a cap and optional jitter. Pure; the jitter sample is
 * an argument so machines stay deterministic under test.
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

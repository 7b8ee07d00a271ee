/**
 * Token buckets for commands that change state. Every bucket holds up to `burst` tokens and
 * refills at `ratePerSecond`; a command takes one token from each of its buckets (its caller's,
 * and its target's such as `session:<id>`) or, when one of them is empty, from none and is
 * refused with the time until that bucket holds a token again. Buckets live in an LRU map of
 * bounded size: a forgotten bucket comes back full. Time comes from an injected clock.
 * @module
 */
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { InvalidArgumentError, RateLimitedError } from '../errors.ts';

/** Default of `RateLimiterOptions.ratePerSecond`. */
export const DEFAULT_RATE_PER_SECOND = 10;
/** Default of `RateLimiterOptions.burst`. */
export const DEFAULT_RATE_BURST = 20;
/** Default of `RateLimiterOptions.maxBuckets`. */
export const DEFAULT_RATE_MAX_BUCKETS = 10_000;

/** Options of the command rate limiter. */
export interface RateLimiterOptions {
  /** Tokens added to each bucket per second; 0 turns the limiter off. @default 10 */
  ratePerSecond?: number;
  /** Capacity of a bucket: commands allowed in one burst. @default 20 */
  burst?: number;
  /** Buckets kept; the least recently used are forgotten beyond it. @default 10000 */
  maxBuckets?: number;
  /** Source of time (only `now()` is read). @default systemClock */
  clock?: Pick<Clock, 'now'>;
}

/** Options after defaults and validation. */
export interface ResolvedRateLimiterOptions {
  ratePerSecond: number;
  burst: number;
  maxBuckets: number;
  clock: Pick<Clock, 'now'>;
}

const schema = z.object({
  ratePerSecond: z.number().finite().min(0).default(DEFAULT_RATE_PER_SECOND),
  burst: z.number().int().min(1).default(DEFAULT_RATE_BURST),
  maxBuckets: z.number().int().min(1).default(DEFAULT_RATE_MAX_BUCKETS),
});

/** Merges defaults and validates once; names the offending field on error. */
export function resolveRateLimiterOptions(
  input: RateLimiterOptions = {},
): ResolvedRateLimiterOptions {
  const parsed = schema.safeParse({
    ratePerSecond: input.ratePerSecond,
    burst: input.burst,
    maxBuckets: input.maxBuckets,
  });
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({
        path: `rateLimit.${i.path.join('.')}`,
        message: i.message,
      })),
    );
  }
  return { ...parsed.data, clock: input.clock ?? systemClock };
}

/** The outcome of one admission. */
export type RateDecision =
  { allowed: true } | { allowed: false; retryAfterMs: number; key: string };

interface Bucket {
  tokens: number;
  at: number;
}

/** Token buckets by key, in an LRU map of bounded size. */
export class RateLimiter {
  readonly options: ResolvedRateLimiterOptions;
  readonly #buckets = new Map<string, Bucket>();

  constructor(options: RateLimiterOptions = {}) {
    this.options = resolveRateLimiterOptions(options);
  }

  /** False when the rate is 0: every command is admitted. */
  get enabled(): boolean {
    return this.options.ratePerSecond > 0;
  }

  /** Buckets currently kept. */
  get size(): number {
    return this.#buckets.size;
  }

  /**
   * Takes one token from every bucket in `keys`; when one holds less than a token, takes none
   * and answers how long until the emptiest of them holds one.
   */
  take(keys: readonly string[]): RateDecision {
    if (!this.enabled || keys.length === 0) return { allowed: true };
    const now = this.options.clock.now();
    const unique = [...new Set(keys)];
    const buckets = unique.map((key) => this.#refill(key, now));
    let refused: { retryAfterMs: number; key: string } | undefined;
    buckets.forEach((bucket, i) => {
      if (bucket.tokens >= 1) return;
      const retryAfterMs = Math.max(
        1,
        Math.ceil(((1 - bucket.tokens) * 1000) / this.options.ratePerSecond),
      );
      if (!refused || retryAfterMs > refused.retryAfterMs)
        refused = { retryAfterMs, key: unique[i]! };
    });
    if (refused) return { allowed: false, ...refused };
    for (const bucket of buckets) bucket.tokens -= 1;
    return { allowed: true };
  }

  /** Like take(), but throws RateLimitedError (429 / `rate_limited`) when refused. */
  check(keys: readonly string[]): void {
    const decision = this.take(keys);
    if (!decision.allowed) throw new RateLimitedError(decision.retryAfterMs);
  }

  /** Forgets every bucket. */
  clear(): void {
    this.#buckets.clear();
  }

  /** The bucket of `key`, refilled up to `now` and moved to the young end of the LRU. */
  #refill(key: string, now: number): Bucket {
    const { burst, ratePerSecond, maxBuckets } = this.options;
    let bucket = this.#buckets.get(key);
    if (bucket === undefined) {
      bucket = { tokens: burst, at: now };
      while (this.#buckets.size >= maxBuckets) {
        this.#buckets.delete(this.#buckets.keys().next().value!);
      }
    } else {
      // A clock that steps back adds nothing (and takes nothing away).
      const elapsed = Math.max(0, now - bucket.at);
      bucket.tokens = Math.min(burst, bucket.tokens + (elapsed * ratePerSecond) / 1000);
      bucket.at = Math.max(bucket.at, now);
      this.#buckets.delete(key);
    }
    this.#buckets.set(key, bucket);
    return bucket;
  }
}

/** Key of a caller's bucket (`client:<id>`). */
export function clientRateKey(client: string): string {
  return `client:${client}`;
}

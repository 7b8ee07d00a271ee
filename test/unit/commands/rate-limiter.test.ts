import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RATE_BURST,
  DEFAULT_RATE_MAX_BUCKETS,
  DEFAULT_RATE_PER_SECOND,
  RateLimiter,
  resolveRateLimiterOptions,
} from '../../../src/commands/rate-limiter.ts';
import { InvalidArgumentError, RateLimitedError } from '../../../src/errors.ts';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}

/** Takes from `keys` until refused; answers how many were admitted. */
function drain(limiter: RateLimiter, keys: string[], max = 1000): number {
  let n = 0;
  while (n < max && limiter.take(keys).allowed) n++;
  return n;
}

describe('RateLimiter', () => {
  it('defaults to 10/s with a burst of 20 in at most 10,000 buckets', () => {
    const o = resolveRateLimiterOptions();
    expect([o.ratePerSecond, o.burst, o.maxBuckets]).toEqual([10, 20, 10_000]);
    expect([DEFAULT_RATE_PER_SECOND, DEFAULT_RATE_BURST, DEFAULT_RATE_MAX_BUCKETS]).toEqual([
      10, 20, 10_000,
    ]);
  });

  it('rejects bad options naming the field', () => {
    expect(() => resolveRateLimiterOptions({ burst: 0 })).toThrow(InvalidArgumentError);
    expect(() => resolveRateLimiterOptions({ ratePerSecond: -1 })).toThrow(
      /rateLimit.ratePerSecond/,
    );
    expect(() => resolveRateLimiterOptions({ maxBuckets: 1.5 })).toThrow(/rateLimit.maxBuckets/);
  });

  it('admits a full burst, then refuses with the time until one token is back', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 20, clock });
    expect(drain(limiter, ['client:a'])).toBe(20);
    const refused = limiter.take(['client:a']);
    expect(refused).toEqual({ allowed: false, retryAfterMs: 100, key: 'client:a' });

    clock.advance(40);
    expect(limiter.take(['client:a'])).toMatchObject({ allowed: false, retryAfterMs: 60 });
    clock.advance(60);
    expect(limiter.take(['client:a']).allowed).toBe(true);
    expect(limiter.take(['client:a']).allowed).toBe(false);
  });

  it('refills at the rate and never beyond the burst', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ ratePerSecond: 5, burst: 3, clock });
    expect(drain(limiter, ['k'])).toBe(3);
    clock.advance(400); // 2 tokens
    expect(drain(limiter, ['k'])).toBe(2);
    clock.advance(3_600_000); // an hour: still only the burst
    expect(drain(limiter, ['k'])).toBe(3);
  });

  it('keeps buckets apart: one exhausted key does not limit another', () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 2, clock: fakeClock() });
    expect(drain(limiter, ['client:a', 'session:s1'])).toBe(2);
    expect(limiter.take(['client:b', 'session:s2']).allowed).toBe(true);
    expect(limiter.take(['client:a', 'session:s2'])).toMatchObject({ key: 'client:a' });
    expect(limiter.take(['client:b', 'session:s1'])).toMatchObject({ key: 'session:s1' });
  });

  it('takes from no bucket when one of them refuses', () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 2, clock: fakeClock() });
    expect(drain(limiter, ['session:s'])).toBe(2);
    for (let i = 0; i < 5; i++) expect(limiter.take(['client:c', 'session:s']).allowed).toBe(false);
    // client:c paid nothing for its refused commands.
    expect(drain(limiter, ['client:c'])).toBe(2);
  });

  it('answers the longest wait among the empty buckets', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ ratePerSecond: 2, burst: 1, clock });
    limiter.take(['a']);
    clock.advance(250); // a: 0.5 token
    limiter.take(['b']); // b: 0 tokens
    expect(limiter.take(['a', 'b'])).toEqual({ allowed: false, retryAfterMs: 500, key: 'b' });
  });

  it('counts a key given twice once', () => {
    const limiter = new RateLimiter({ ratePerSecond: 1, burst: 2, clock: fakeClock() });
    expect(drain(limiter, ['x', 'x'])).toBe(2);
  });

  it('forgets the least recently used bucket beyond maxBuckets', () => {
    const limiter = new RateLimiter({
      ratePerSecond: 1,
      burst: 1,
      maxBuckets: 3,
      clock: fakeClock(),
    });
    for (const k of ['a', 'b', 'c']) expect(limiter.take([k]).allowed).toBe(true);
    expect(limiter.take(['a']).allowed).toBe(false); // a is now the most recently used
    expect(limiter.take(['d']).allowed).toBe(true); // evicts b
    expect(limiter.size).toBe(3);
    expect(limiter.take(['a']).allowed).toBe(false); // a kept
    expect(limiter.take(['c']).allowed).toBe(false); // c kept
    expect(limiter.take(['b']).allowed).toBe(true); // b forgotten: a full bucket again
    expect(limiter.size).toBe(3);
  });

  it('stays bounded under many keys', () => {
    const limiter = new RateLimiter({ maxBuckets: 100, clock: fakeClock() });
    for (let i = 0; i < 10_000; i++) limiter.take([`client:${i}`]);
    expect(limiter.size).toBe(100);
  });

  it('ignores a clock that steps back', () => {
    const clock = fakeClock(10_000);
    const limiter = new RateLimiter({ ratePerSecond: 10, burst: 1, clock });
    expect(limiter.take(['k']).allowed).toBe(true);
    clock.set(5_000);
    expect(limiter.take(['k'])).toMatchObject({ allowed: false, retryAfterMs: 100 });
    clock.set(10_100);
    expect(limiter.take(['k']).allowed).toBe(true);
  });

  it('admits everything with a rate of 0', () => {
    const limiter = new RateLimiter({ ratePerSecond: 0, burst: 1, clock: fakeClock() });
    expect(limiter.enabled).toBe(false);
    expect(drain(limiter, ['k'], 500)).toBe(500);
    expect(limiter.size).toBe(0);
  });

  it('check() throws RateLimitedError with retryAfterMs in its details', () => {
    const limiter = new RateLimiter({ ratePerSecond: 4, burst: 1, clock: fakeClock() });
    limiter.check(['k']);
    let caught: unknown;
    try {
      limiter.check(['k']);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(RateLimitedError);
    const e = caught as RateLimitedError;
    expect(e.code).toBe('rate_limited');
    expect(e.recoverable).toBe(true);
    expect(e.details).toEqual({ retryAfterMs: 250 });
  });
});

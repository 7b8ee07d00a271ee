import { describe, expect, it } from 'vitest';
import { backoffDelay, hasAttemptsLeft, jitterSample } from '../../../machines/backoff.ts';
import type { RetryPolicy } from '../../../src/workflow/types.ts';

const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  attempts: 5,
  backoffMs: 100,
  factor: 2,
  maxMs: 300_000,
  jitter: 0,
  ...over,
});

describe('backoffDelay', () => {
  it('grows exponentially from backoffMs for the first retry (attempt 2)', () => {
    const p = policy();
    expect([2, 3, 4, 5].map((n) => backoffDelay(p, n))).toEqual([100, 200, 400, 800]);
  });

  it('never goes below backoffMs for attempt numbers at or under 2', () => {
    expect(backoffDelay(policy(), 1)).toBe(100);
    expect(backoffDelay(policy(), 0)).toBe(100);
  });

  it('caps each delay at maxMs', () => {
    const p = policy({ maxMs: 350 });
    expect([2, 3, 4, 10].map((n) => backoffDelay(p, n))).toEqual([100, 200, 350, 350]);
  });

  it('keeps a constant delay with factor 1', () => {
    const p = policy({ factor: 1, backoffMs: 250 });
    expect([2, 3, 7].map((n) => backoffDelay(p, n))).toEqual([250, 250, 250]);
  });

  it('spreads by ± jitter around the base, using the sample', () => {
    const p = policy({ jitter: 0.5 });
    // base 200 for attempt 3; spread 100.
    expect(backoffDelay(p, 3, 0)).toBe(100);
    expect(backoffDelay(p, 3, 0.5)).toBe(200);
    expect(backoffDelay(p, 3, 0.999_999)).toBe(300);
  });

  it('is deterministic for a given sample and never negative', () => {
    const p = policy({ jitter: 1 });
    expect(backoffDelay(p, 2, 0.25)).toBe(backoffDelay(p, 2, 0.25));
    expect(backoffDelay(p, 2, 0)).toBe(0);
    for (let s = 0; s < 1; s += 0.1) expect(backoffDelay(p, 4, s)).toBeGreaterThanOrEqual(0);
  });

  it('returns whole milliseconds', () => {
    const p = policy({ backoffMs: 10, factor: 1.5 });
    expect(backoffDelay(p, 3)).toBe(15);
    expect(backoffDelay(p, 4)).toBe(23); // 22.5 rounds up
  });
});

describe('hasAttemptsLeft', () => {
  it('counts the first try as an attempt', () => {
    const p = policy({ attempts: 3 });
    expect([0, 1, 2, 3, 4].map((a) => hasAttemptsLeft(p, a))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
  });

  it('allows no retry with attempts 1', () => {
    expect(hasAttemptsLeft(policy({ attempts: 1 }), 1)).toBe(false);
  });
});

describe('jitterSample', () => {
  it('is a pure function of the retry: same execution, step and attempt, same sample', () => {
    expect(jitterSample('01J0EXEC', 'build', 2)).toBe(jitterSample('01J0EXEC', 'build', 2));
    expect(jitterSample('01J0EXEC', 'build', 2)).not.toBe(jitterSample('01J0EXEC', 'build', 3));
    expect(jitterSample('01J0EXEC', 'build', 2)).not.toBe(jitterSample('01J0EXEC', 'test', 2));
  });

  it('spreads ids that differ in their last character over [0, 1)', () => {
    // Ids minted in one millisecond differ only at the end (the ULID random part increments).
    const samples = Array.from({ length: 2_000 }, (_, i) =>
      jitterSample(`01J0ABCDEFGHJKMNPQRSTV${i.toString(32).padStart(4, '0')}`, 'build', 2),
    );
    for (const s of samples) {
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(1);
    }
    const buckets = new Array<number>(10).fill(0);
    for (const s of samples) buckets[Math.floor(s * 10)]!++;
    // 200 expected per tenth; a uniform draw stays well inside 120..280.
    for (const n of buckets) {
      expect(n).toBeGreaterThan(120);
      expect(n).toBeLessThan(280);
    }
  });
});

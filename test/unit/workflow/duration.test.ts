import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../../src/errors.ts';
import {
  durationSchema,
  formatDuration,
  MAX_DURATION_MS,
  parseDuration,
  positiveDurationSchema,
} from '../../../src/workflow/duration.ts';

describe('parseDuration', () => {
  it.each([
    [250, 250],
    [0, 0],
    ['250ms', 250],
    ['2s', 2000],
    ['1.5s', 1500],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['1m30s', 90_000],
    ['1h 2m 3s 4ms', 3_723_004],
    [' 10s ', 10_000],
    ['0.5ms', 1],
  ] as const)('%j -> %d ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each([
    [-1, 'negative'],
    ['-5s', 'negative'],
    ['5', 'needs a unit'],
    ['', 'invalid duration'],
    ['abc', 'invalid duration'],
    ['5 sec', 'invalid duration'],
    ['30s1m', 'largest first'],
    ['1s1s', 'largest first'],
    [Number.NaN, 'finite'],
    [Number.POSITIVE_INFINITY, 'finite'],
    ['30d', 'exceeds'],
  ] as const)('rejects %j', (input, fragment) => {
    expect(() => parseDuration(input)).toThrow(InvalidArgumentError);
    expect(() => parseDuration(input)).toThrow(fragment);
  });

  it('accepts the maximum and rejects one more', () => {
    expect(parseDuration(MAX_DURATION_MS)).toBe(MAX_DURATION_MS);
    expect(() => parseDuration(MAX_DURATION_MS + 1)).toThrow('exceeds');
  });
});

describe('formatDuration', () => {
  it('round-trips through parseDuration', () => {
    for (const ms of [0, 1, 999, 1000, 90_500, 3_723_004, 172_800_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
    expect(formatDuration(90_500)).toBe('1m30s500ms');
  });
});

describe('duration schemas', () => {
  it('transform to milliseconds', () => {
    expect(durationSchema.parse('1m30s')).toBe(90_000);
    expect(durationSchema.parse(0)).toBe(0);
    expect(positiveDurationSchema.parse('1ms')).toBe(1);
  });

  it('report readable issues', () => {
    const bad = durationSchema.safeParse('soon');
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/invalid duration 'soon'/);
    const wrongType = durationSchema.safeParse(true);
    expect(wrongType.error?.issues[0]?.message).toMatch(/invalid duration/);
    const zero = positiveDurationSchema.safeParse(0);
    expect(zero.error?.issues[0]?.message).toMatch(/at least 1 ms/);
  });
});

import { describe, expect, it } from 'vitest';
import {
  decodeCursor,
  encodeCursor,
  resolvePageLimit,
  resolveStoreLimits,
  truncateLine,
} from '../../../src/store/index.ts';

describe('truncateLine', () => {
  it('keeps short lines and cuts long ones with a marker naming the cut', () => {
    expect(truncateLine('abc', 3)).toBe('abc');
    expect(truncateLine('abcdef', 3)).toBe('abc… [truncated 3 chars]');
  });

  it('does not split a surrogate pair', () => {
    const cut = truncateLine('ab😀cd', 3);
    expect(cut).toBe('ab… [truncated 4 chars]');
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });
});

describe('resolveStoreLimits', () => {
  it('fills defaults and rejects bad values by field', () => {
    expect(resolveStoreLimits()).toEqual({ maxLogLinesPerStep: 1000, maxLineLength: 8192 });
    expect(resolveStoreLimits({ maxLineLength: 10 }).maxLineLength).toBe(10);
    expect(() => resolveStoreLimits({ maxLogLinesPerStep: -3 })).toThrow(/maxLogLinesPerStep/);
  });
});

describe('cursors and page sizes', () => {
  it('round-trips ids and rejects foreign cursors', () => {
    const id = 'ex_01ARYZ6S41TSV4RRFFQ69G5FAV';
    expect(decodeCursor(encodeCursor(id))).toBe(id);
    for (const bad of ['', '!!', 'a=', 'Q', '_w']) {
      expect(() => decodeCursor(bad)).toThrow(/cursor/);
    }
  });

  it('defaults to 50 and clamps to 500', () => {
    expect(resolvePageLimit(undefined)).toBe(50);
    expect(resolvePageLimit(7)).toBe(7);
    expect(resolvePageLimit(10_000)).toBe(500);
    expect(() => resolvePageLimit(0)).toThrow(/limit/);
    expect(() => resolvePageLimit(2.5)).toThrow(/limit/);
  });
});

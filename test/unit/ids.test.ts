import { describe, expect, it } from 'vitest';
import { isValidToken } from '../../src/bus/subjects.ts';
import { createIdGenerator, idTime, isId, newId } from '../../src/ids.ts';

describe('newId', () => {
  it('makes prefixed 26-char Crockford ids that are valid subject tokens', () => {
    const id = newId('ex');
    expect(id).toMatch(/^ex_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(isValidToken(id)).toBe(true);
    expect(isId(id)).toBe(true);
    expect(isId(id, 'ex')).toBe(true);
    expect(isId(id, 'wf')).toBe(false);
  });

  it('sorts in creation order and never repeats, within one millisecond too', () => {
    const ids = Array.from({ length: 20_000 }, () => newId('ex'));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
  });

  it('encodes the creation time', () => {
    // The example time of the ULID specification and its encoding.
    const gen = createIdGenerator(() => 1_469_918_176_385);
    const id = gen('ex');
    expect(id.slice(3, 13)).toBe('01ARYZ6S41');
    expect(idTime(id)).toBe(1_469_918_176_385);
  });

  it('stays monotonic when the clock stands still or goes back', () => {
    let now = 2_000_000_000_000;
    const gen = createIdGenerator(() => now);
    const a = gen('ex');
    const b = gen('ex');
    now -= 5_000;
    const c = gen('ex');
    now += 10_000;
    const d = gen('ex');
    expect([a, b, c, d]).toEqual([a, b, c, d].sort());
    expect(new Set([a, b, c, d]).size).toBe(4);
    expect(idTime(c)).toBe(2_000_000_000_000);
    expect(idTime(d)).toBe(2_000_000_005_000);
  });

  it('rejects prefixes that are not short lowercase tokens', () => {
    for (const bad of ['', 'Ex', 'a.b', 'a b', 'a_b', 'x'.repeat(17), '1ex']) {
      expect(() => newId(bad)).toThrow(/prefix/);
    }
  });
});

describe('isId', () => {
  it('rejects things that are not ids', () => {
    const body = newId('ex').slice(3);
    for (const bad of [
      undefined,
      42,
      '',
      body,
      `_${body}`,
      `ex_${body.slice(1)}`,
      `ex_${body}0`,
      `ex_I${body.slice(1)}`,
      `ex_8${body.slice(1)}`,
      `EX_${body}`,
    ]) {
      expect(isId(bad)).toBe(false);
    }
    expect(() => idTime('nope')).toThrow(/not an id/);
  });
});

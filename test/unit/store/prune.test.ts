import { describe, expect, it } from 'vitest';
import {
  checkPruneQuery,
  compareFinished,
  planPrune,
  selectOldest,
  type FinishedExecution,
} from '../../../src/store/prune.ts';

/** A deterministic shuffle of `n` runs finished at minutes 0..n/2 (two per minute). */
function runs(n: number): FinishedExecution[] {
  const out = Array.from({ length: n }, (_, i) => ({
    id: `ex_${String(i).padStart(6, '0')}`,
    finishedAt: `2026-01-01T${String(Math.floor(i / 2 / 60)).padStart(2, '0')}:${String(Math.floor(i / 2) % 60).padStart(2, '0')}:00.000Z`,
  }));
  let seed = 42;
  for (let i = out.length - 1; i > 0; i--) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    const j = seed % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('prune plan', () => {
  it('selects the n oldest in order, as a full sort would', () => {
    const all = runs(1000);
    const sorted = [...all].sort(compareFinished);
    for (const n of [0, 1, 7, 500, 999, 1000, 5000]) {
      expect(selectOldest(all, n)).toEqual(sorted.slice(0, n));
    }
  });

  it('cuts the longer of the two prefixes, up to the limit', () => {
    const all = runs(100);
    const sorted = [...all].sort(compareFinished);
    const at = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`;
    // Minutes 0-9 hold 20 runs.
    expect(planPrune(all, { finishedBefore: at(10), limit: 500 })).toEqual(sorted.slice(0, 20));
    expect(planPrune(all, { keepNewest: 90, limit: 500 })).toEqual(sorted.slice(0, 10));
    expect(planPrune(all, { finishedBefore: at(10), keepNewest: 90, limit: 500 })).toHaveLength(20);
    expect(planPrune(all, { finishedBefore: at(10), keepNewest: 30, limit: 500 })).toHaveLength(70);
    expect(planPrune(all, { finishedBefore: at(10), keepNewest: 30, limit: 5 })).toEqual(
      sorted.slice(0, 5),
    );
    expect(planPrune(all, { keepNewest: 100, limit: 500 })).toEqual([]);
    expect(planPrune(all, { limit: 500 })).toEqual([]);
  });

  it('normalizes the instant and refuses bad fields', () => {
    expect(checkPruneQuery({ finishedBefore: '2026-01-01T00:00:00Z', limit: 1 })).toEqual({
      finishedBefore: '2026-01-01T00:00:00.000Z',
      limit: 1,
    });
    expect(() => checkPruneQuery({ limit: 1, keepNewest: 1.5 })).toThrow(/keepNewest/);
    expect(() => checkPruneQuery({ limit: Number.NaN })).toThrow(/limit/);
  });
});

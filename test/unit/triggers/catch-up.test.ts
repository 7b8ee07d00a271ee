import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { catchUpReference, missedMessage, planCatchUp } from '../../../src/triggers/catch-up.ts';
import { createSimulatedScheduler } from '../../../src/triggers/simulated-scheduler.ts';

const scheduler = createSimulatedScheduler(new SimulatedClock());
const HOUR = 3600_000;
const NOW = Date.parse('2026-05-10T12:30:00Z');
const hourly = (policy: 'none' | 'last' | 'all', since: number, max?: number) =>
  planCatchUp({ scheduler, schedule: '0 * * * *', timezone: 'UTC', policy, since, now: NOW, max });

describe('catch-up planning', () => {
  it('counts from the later of the last fire and the last update', () => {
    const state = {
      id: 't',
      workflowId: 'w',
      paused: false,
      lastResult: null,
      lastFireAt: '2026-05-10T08:00:00.000Z',
      updatedAt: '2026-05-10T09:15:00.000Z',
    };
    expect(catchUpReference(state)).toBe(Date.parse('2026-05-10T09:15:00Z'));
    expect(catchUpReference({ ...state, updatedAt: '2026-05-10T07:00:00.000Z' })).toBe(
      Date.parse('2026-05-10T08:00:00Z'),
    );
    expect(catchUpReference({ ...state, lastFireAt: null })).toBe(
      Date.parse('2026-05-10T09:15:00Z'),
    );
    expect(catchUpReference(undefined)).toBeUndefined();
  });

  it('none replays nothing and counts the missed ticks', () => {
    // Ticks after 08:00 up to 12:30: 09, 10, 11, 12.
    const plan = hourly('none', Date.parse('2026-05-10T08:00:00Z'));
    expect(plan).toEqual({ replay: [], missed: 4, truncated: false });
    expect(missedMessage(plan, 'none')).toBe(
      '4 tick(s) missed while the service was down were not replayed (catchUp: none)',
    );
  });

  it('last replays the latest tick only', () => {
    expect(hourly('last', Date.parse('2026-05-10T08:00:00Z'))).toEqual({
      replay: [Date.parse('2026-05-10T12:00:00Z')],
      missed: 3,
      truncated: false,
    });
  });

  it('all replays every tick in order, bounded to the latest ones', () => {
    const since = Date.parse('2026-05-10T08:00:00Z');
    expect(hourly('all', since).replay).toEqual(
      ['09', '10', '11', '12'].map((h) => Date.parse(`2026-05-10T${h}:00:00Z`)),
    );
    expect(hourly('all', since, 2)).toEqual({
      replay: [Date.parse('2026-05-10T11:00:00Z'), Date.parse('2026-05-10T12:00:00Z')],
      missed: 2,
      truncated: false,
    });
  });

  it('stops counting past 1,000 ticks and still replays the latest', () => {
    const plan = hourly('all', NOW - 5000 * HOUR);
    expect(plan.truncated).toBe(true);
    expect(plan.replay).toHaveLength(100);
    expect(plan.replay.at(-1)).toBe(Date.parse('2026-05-10T12:00:00Z'));
    expect(plan.missed).toBe(900);
    expect(missedMessage(plan, 'all')).toMatch(/^at least 900 tick/);
    expect(hourly('last', NOW - 5000 * HOUR).replay).toEqual([Date.parse('2026-05-10T12:00:00Z')]);
  });

  it('nothing is missed when the last fire is recent', () => {
    expect(hourly('all', Date.parse('2026-05-10T12:00:00Z'))).toEqual({
      replay: [],
      missed: 0,
      truncated: false,
    });
  });
});

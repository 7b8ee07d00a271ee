/**
 * The Scheduler contract, run against every implementation (croner's timers, the simulated
 * clock). A harness lets time pass its own way: real waiting for croner, clock steps for the
 * simulated one; `until` polls a condition while time passes, so no case sleeps a fixed time
 * where a condition can be awaited. Real-time cases use an every-second schedule and bounds
 * loose enough for a loaded machine.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Scheduler } from '../../src/triggers/scheduler.ts';

/** A scheduler with its notion of time. */
export interface SchedulerHarness {
  scheduler: Scheduler;
  /** The time the scheduler runs on, ms since the epoch. */
  now(): number;
  /** Lets `ms` of the scheduler's time pass. */
  advance(ms: number): Promise<void>;
  /** Lets time pass until `pred` holds; fails after `maxMs` of the scheduler's time. */
  until(pred: () => boolean, maxMs: number, what: string): Promise<void>;
  close(): void;
}

/** Options of the suite. */
export interface SchedulerConformanceOptions {
  name: string;
  create: () => SchedulerHarness;
}

const T = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number[]) => ms.map((t) => new Date(t).toISOString());

/** Runs the Scheduler conformance cases. */
export function runSchedulerConformance({ name, create }: SchedulerConformanceOptions): void {
  describe(`Scheduler conformance: ${name}`, () => {
    let h: SchedulerHarness;
    const stops: Array<() => void> = [];
    const start = () => (h = create());
    afterEach(() => {
      for (const stop of stops.splice(0)) stop();
      h?.close();
    });

    describe('validate', () => {
      it.each([['* * * * *'], ['*/5 * * * * *'], ['0 9 * * MON-FRI'], ['@daily'], ['0 0 L * *']])(
        'accepts %s',
        (expr) => {
          expect(() => start().scheduler.validate(expr)).not.toThrow();
        },
      );

      it.each([
        ['* * * *', 'schedule', /5 fields, or 6/],
        ['* * * * * * *', 'schedule', /5 fields, or 6/],
        ['61 * * * *', 'schedule', /minute/],
        ['*/0 * * * *', 'schedule', /stepping/],
        ['0 0 30 2 *', 'schedule', /never fires/],
        ['nonsense here x y z', 'schedule', /./],
      ])('rejects %s naming the field and the reason', (expr, field, reason) => {
        const err = captured(() => start().scheduler.validate(expr));
        expect(err).toMatchObject({ code: 'invalid_argument' });
        const issue = (err.details as { issues: Array<{ path: string; message: string }> })
          .issues[0]!;
        expect(issue.path).toBe(field);
        expect(issue.message).toMatch(reason);
      });

      it('rejects an unknown timezone', () => {
        const err = captured(() => start().scheduler.validate('0 0 * * *', 'Mars/Olympus'));
        expect(err).toMatchObject({
          code: 'invalid_argument',
          details: { issues: [{ path: 'timezone' }] },
        });
      });

      it('schedule() validates too', () => {
        const err = captured(() => start().scheduler.schedule('bad', {}, () => {}));
        expect(err).toMatchObject({ code: 'invalid_argument' });
      });
    });

    describe('nextRuns / previousRuns', () => {
      it('lists ticks strictly after `from`, oldest first, with seconds', () => {
        const s = start().scheduler;
        expect(iso(s.nextRuns('*/15 * * * * *', undefined, T, 3))).toEqual([
          '2026-01-01T00:00:15.000Z',
          '2026-01-01T00:00:30.000Z',
          '2026-01-01T00:00:45.000Z',
        ]);
        expect(iso(s.nextRuns('0 * * * *', 'UTC', T + 1, 2))).toEqual([
          '2026-01-01T01:00:00.000Z',
          '2026-01-01T02:00:00.000Z',
        ]);
        expect(s.nextRuns('* * * * *', undefined, T, 0)).toEqual([]);
      });

      it('reads the expression in its timezone, across a DST change', () => {
        const s = start().scheduler;
        // 09:00 in Tokyo is 00:00Z; T itself is such a tick, and `from` is exclusive.
        expect(iso(s.nextRuns('0 9 * * *', 'Asia/Tokyo', T, 1))).toEqual([
          '2026-01-02T00:00:00.000Z',
        ]);
        // Paris springs forward on 2026-03-29: 09:00 is 08:00Z before, 07:00Z after.
        const before = Date.parse('2026-03-28T00:00:00Z');
        expect(iso(s.nextRuns('0 9 * * *', 'Europe/Paris', before, 2))).toEqual([
          '2026-03-28T08:00:00.000Z',
          '2026-03-29T07:00:00.000Z',
        ]);
      });

      it('lists ticks at or before `before`, newest first', () => {
        const s = start().scheduler;
        expect(iso(s.previousRuns('*/15 * * * * *', undefined, T + 30_000, 3))).toEqual([
          '2026-01-01T00:00:30.000Z',
          '2026-01-01T00:00:15.000Z',
          '2026-01-01T00:00:00.000Z',
        ]);
      });
    });

    describe('schedule', () => {
      it('calls back at each tick with its scheduled whole second, in order', async () => {
        start();
        const ticks: Array<{ at: number; calledAt: number }> = [];
        const handle = h.scheduler.schedule('* * * * * *', {}, (at) =>
          ticks.push({ at, calledAt: h.now() }),
        );
        stops.push(() => handle.stop());
        await h.until(() => ticks.length >= 3, 6000, 'three ticks');
        for (const { at, calledAt } of ticks) {
          expect(at % 1000).toBe(0);
          expect(calledAt).toBeGreaterThanOrEqual(at);
        }
        for (let i = 1; i < ticks.length; i++) {
          const step = ticks[i]!.at - ticks[i - 1]!.at;
          expect(step).toBeGreaterThanOrEqual(1000);
          expect(step % 1000).toBe(0);
        }
      });

      it('reports the next tick, and null once stopped', () => {
        start();
        const handle = h.scheduler.schedule('*/10 * * * * *', { timezone: 'UTC' }, () => {});
        const next = handle.nextRun();
        expect(next).not.toBeNull();
        expect(next! % 10_000).toBe(0);
        expect(next!).toBeGreaterThan(h.now());
        expect(next! - h.now()).toBeLessThanOrEqual(10_000);
        expect(next).toBe(h.scheduler.nextRuns('*/10 * * * * *', 'UTC', h.now(), 1)[0]);
        handle.stop();
        handle.stop();
        expect(handle.nextRun()).toBeNull();
      });

      it('never calls back after stop', async () => {
        start();
        let calls = 0;
        const handle = h.scheduler.schedule('* * * * * *', {}, () => {
          calls++;
        });
        await h.until(() => calls >= 1, 3000, 'first tick');
        handle.stop();
        const seen = calls;
        await h.advance(2200);
        expect(calls).toBe(seen);
      });

      it('keeps going when a callback throws', async () => {
        start();
        let calls = 0;
        const handle = h.scheduler.schedule('* * * * * *', {}, () => {
          calls++;
          throw new Error('listener bug');
        });
        stops.push(() => handle.stop());
        await h.until(() => calls >= 2, 5000, 'two ticks despite throwing');
      });

      it('runs independent schedules side by side', async () => {
        start();
        const a: number[] = [];
        const b: number[] = [];
        const ha = h.scheduler.schedule('* * * * * *', {}, (at) => a.push(at));
        const hb = h.scheduler.schedule('*/2 * * * * *', {}, (at) => b.push(at));
        stops.push(
          () => ha.stop(),
          () => hb.stop(),
        );
        await h.until(() => a.length >= 3 && b.length >= 1, 6000, 'both schedules');
        hb.stop();
        for (const at of b) expect(at % 2000).toBe(0);
        expect(new Set(a).size).toBe(a.length);
      });
    });
  });
}

function captured(fn: () => unknown): Error & { code?: string; details?: unknown } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string; details?: unknown };
  }
  throw new Error('expected an error');
}

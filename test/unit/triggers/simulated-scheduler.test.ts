import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { runSchedulerConformance } from '../../conformance/scheduler.case.ts';
import { createSimulatedScheduler } from '../../../src/triggers/simulated-scheduler.ts';

const START = Date.parse('2026-01-01T00:00:00.250Z');
const STEP_MS = 100;

/** A simulated clock stepped in small increments, letting promises settle between steps. */
function harness() {
  const clock = new SimulatedClock();
  clock.set(START);
  const step = async () => {
    clock.increment(STEP_MS);
    await new Promise((resolve) => setImmediate(resolve));
  };
  const scheduler = createSimulatedScheduler(clock);
  return {
    clock,
    scheduler,
    now: () => clock.now(),
    advance: async (ms: number) => {
      for (let t = 0; t < ms; t += STEP_MS) await step();
    },
    until: async (pred: () => boolean, maxMs: number, what: string) => {
      for (let t = 0; !pred(); t += STEP_MS) {
        if (t > maxMs) throw new Error(`${what}: not within ${maxMs} simulated ms`);
        await step();
      }
    },
    close: () => {
      expect(scheduler.active()).toBe(0);
    },
  };
}

runSchedulerConformance({ name: 'simulated', create: harness });

describe('simulated scheduler', () => {
  it('fires exactly on the simulated second, never on the wall clock', () => {
    const h = harness();
    const ticks: number[] = [];
    const handle = h.scheduler.schedule('*/5 * * * * *', {}, (at) => ticks.push(at));
    h.clock.increment(4749);
    expect(ticks).toEqual([]);
    h.clock.increment(1);
    expect(ticks).toEqual([Date.parse('2026-01-01T00:00:05Z')]);
    h.clock.increment(5000);
    expect(ticks).toHaveLength(2);
    handle.stop();
  });

  it('a jump past several ticks calls back once, for the latest one due', () => {
    const h = harness();
    const ticks: number[] = [];
    const handle = h.scheduler.schedule('* * * * * *', {}, (at) => ticks.push(at));
    h.clock.increment(10_000);
    expect(ticks).toEqual([Date.parse('2026-01-01T00:00:10Z')]);
    expect(handle.nextRun()).toBe(Date.parse('2026-01-01T00:00:11Z'));
    handle.stop();
    expect(h.scheduler.active()).toBe(0);
  });
});

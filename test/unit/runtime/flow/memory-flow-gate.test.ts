/**
 * The in-process flow gate on a fake clock: `runConcurrency` holds runs past the limit and
 * hands a freed slot to the highest-priority waiter (FIFO within one), keeping it for that run;
 * `rateLimit` lets `limit` starts per window and wakes the held ones as the window moves; a
 * resumed run is counted but never held; a released waiter leaves the line.
 */
import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../../../../src/clock.ts';
import { MemoryFlowGate, type FlowRun } from '../../../../src/runtime/flow/index.ts';

/** A clock whose timers fire only when the test advances it. */
class FakeClock implements Clock {
  t = 1_000_000;
  #timers: Array<{ at: number; fn: () => void; id: number }> = [];
  #next = 0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#next;
    this.#timers.push({ at: this.t + ms, fn, id });
    return { id, unref() {} } as unknown as TimerHandle;
  }
  clearTimeout(h: TimerHandle): void {
    const id = (h as unknown as { id: number }).id;
    this.#timers = this.#timers.filter((x) => x.id !== id);
  }
  advance(ms: number): void {
    this.t += ms;
    for (;;) {
      const due = this.#timers.filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at)[0];
      if (!due) return;
      this.#timers = this.#timers.filter((x) => x !== due);
      due.fn();
    }
  }
}

const conc = { runConcurrency: { key: 'inputs.k', limit: 2 } };
const rate = { rateLimit: { key: 'inputs.k', limit: 2, perMs: 1000 } };
const run = (id: string, controls: FlowRun['controls'], priority?: number, k = 'a'): FlowRun => ({
  executionId: id,
  workflowId: 'wf',
  controls,
  inputs: { k },
  ...(priority !== undefined && { priority }),
});

function gate() {
  const clock = new FakeClock();
  const ready: string[] = [];
  const g = new MemoryFlowGate({ clock, ready: (r) => ready.push(r.executionId) });
  return { clock, ready, g };
}

describe('MemoryFlowGate', () => {
  it('holds runs past the limit and gives a freed slot to the highest priority first', async () => {
    const { g, ready } = gate();
    expect((await g.admit(run('r1', conc))).start).toBe(true);
    expect((await g.admit(run('r2', conc))).start).toBe(true);
    const held = await g.admit(run('low1', conc, 5));
    expect(held).toMatchObject({ start: false, wait: { reason: 'runConcurrency', key: 'a' } });
    await g.admit(run('low2', conc, 5));
    await g.admit(run('high', conc, 1));
    // Another key is not held by this one.
    expect((await g.admit(run('other', conc, 3, 'b'))).start).toBe(true);
    expect(g.waiting()).toBe(3);
    g.release('r1');
    expect(ready).toEqual(['high']);
    // A newcomer cannot take the slot kept for the woken run; the woken run can.
    expect((await g.admit(run('newcomer', conc, 1))).start).toBe(false);
    expect((await g.admit(run('high', conc, 1))).start).toBe(true);
    g.release('r2');
    g.release('high');
    expect(ready).toEqual(['high', 'newcomer', 'low1']);
  });

  it('a resumed run is counted, never held; a released waiter leaves the line', async () => {
    const { g, ready } = gate();
    await g.admit(run('r1', conc));
    await g.admit(run('r2', conc));
    expect((await g.admit({ ...run('r3', conc), resumed: true })).start).toBe(true);
    expect((await g.admit(run('w1', conc))).start).toBe(false);
    expect((await g.admit(run('w2', conc))).start).toBe(false);
    g.release('w1'); // cancelled while it waited
    g.release('r1');
    expect(ready).toEqual([]); // still 2 holders (r2, r3): limit reached
    g.release('r2');
    expect(ready).toEqual(['w2']);
  });

  it('rateLimit: limit starts per window; the held start as the window moves', async () => {
    const { g, ready, clock } = gate();
    expect((await g.admit(run('a1', rate))).start).toBe(true);
    clock.advance(100);
    expect((await g.admit(run('a2', rate))).start).toBe(true);
    expect(await g.admit(run('a3', rate))).toMatchObject({
      start: false,
      wait: { reason: 'rateLimit', key: 'a' },
    });
    expect((await g.admit(run('a4', rate))).start).toBe(false);
    clock.advance(899); // a1 started 999 ms ago: still inside the window
    expect(ready).toEqual([]);
    clock.advance(1); // a1 leaves the window
    expect(ready).toEqual(['a3']);
    expect((await g.admit(run('a3', rate))).start).toBe(true); // counted when woken
    clock.advance(100); // a2 leaves
    expect(ready).toEqual(['a3', 'a4']);
    // A newcomer waits behind the window too.
    expect((await g.admit(run('a5', rate))).start).toBe(false);
    clock.advance(1000);
    expect(ready).toEqual(['a3', 'a4', 'a5']);
    await g.close();
  });
});

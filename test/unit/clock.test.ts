import { SimulatedClock } from 'xstate';
import { describe, expect, it } from 'vitest';
import { every, sleep, systemClock, unrefTimer } from '../../src/clock.ts';

describe('clock helpers', () => {
  it('every: calls back each period of simulated time until stopped', () => {
    const clock = new SimulatedClock();
    let calls = 0;
    const stop = every(clock, 100, () => calls++);
    clock.increment(99);
    expect(calls).toBe(0);
    clock.increment(1);
    expect(calls).toBe(1);
    for (let i = 0; i < 5; i++) clock.increment(100);
    expect(calls).toBe(6);
    stop();
    clock.increment(1000);
    expect(calls).toBe(6);
  });

  it('sleep: resolves when simulated time has passed, or early on abort', async () => {
    const clock = new SimulatedClock();
    let woke = false;
    const slept = sleep(clock, 500).then(() => (woke = true));
    clock.increment(499);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.increment(1);
    await slept;
    expect(woke).toBe(true);

    const abort = new AbortController();
    const aborted = sleep(clock, 10_000, { signal: abort.signal });
    abort.abort();
    await aborted;
    await sleep(clock, 10_000, { signal: abort.signal }); // already aborted: at once
  });

  it('sleep on the system clock lets the process exit meanwhile (unref)', async () => {
    const started = Date.now();
    await sleep(systemClock, 20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const handle = systemClock.setTimeout(() => undefined, 60_000) as NodeJS.Timeout;
    expect(unrefTimer(handle)).toBe(handle);
    expect(handle.hasRef()).toBe(false);
    systemClock.clearTimeout(handle);
    expect(unrefTimer(undefined)).toBeUndefined(); // handles without unref are left alone
  });
});

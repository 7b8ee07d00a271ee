import { describe, expect, it } from 'vitest';
import { createMemoryBus, resolveMemoryBusOptions } from '../../../src/bus/memory-bus.ts';
import type { Clock } from '../../../src/clock.ts';
import { runBusConformance } from '../../conformance/bus.case.ts';
import { latch, rejection } from '../../helpers/poll.ts';

runBusConformance({ name: 'memory', create: async () => createMemoryBus() });

/** A clock whose timers fire only when the test says so. */
function manualClock(): Clock & { fireAll(): void; pending(): number } {
  const timers = new Map<number, () => void>();
  let next = 0;
  return {
    now: () => 0,
    setTimeout: (fn, _ms) => {
      timers.set(++next, fn as () => void);
      return next;
    },
    clearTimeout: (h) => void timers.delete(h as number),
    fireAll() {
      const fns = [...timers.values()];
      timers.clear();
      for (const fn of fns) fn();
    },
    pending: () => timers.size,
  };
}

describe('memory bus', () => {
  it('resolves options with defaults and names bad fields', () => {
    expect(resolveMemoryBusOptions()).toMatchObject({
      maxPending: 65_536,
      requestTimeoutMs: 5_000,
      deliveryBatch: 1_024,
    });
    expect(() => resolveMemoryBusOptions({ maxPending: 0 })).toThrow(/maxPending/);
    expect(() => resolveMemoryBusOptions({ requestTimeoutMs: 1.5 })).toThrow(/requestTimeoutMs/);
  });

  it('reports interest for exact and wildcard subscriptions, and forgets it on unsubscribe', async () => {
    const bus = createMemoryBus();
    expect(bus.hasInterest('a.b')).toBe(false);
    const exact = bus.subscribe('a.b', () => {});
    const wild = bus.subscribe('x.*.z', () => {});
    expect(bus.hasInterest('a.b')).toBe(true);
    expect(bus.hasInterest('x.y.z')).toBe(true);
    expect(bus.hasInterest('x.y')).toBe(false);
    exact.unsubscribe();
    wild.unsubscribe();
    expect(bus.hasInterest('a.b')).toBe(false);
    expect(bus.hasInterest('x.y.z')).toBe(false);
    await bus.close();
  });

  it('delivers asynchronously, never inside publish', async () => {
    const bus = createMemoryBus();
    const seen: number[] = [];
    bus.subscribe('s', (m) => {
      seen.push(m.json<number>());
      if (m.json<number>() === 1) {
        bus.publish('s', 2);
        seen.push(-1); // runs before 2 is delivered: publish did not re-enter
      }
    });
    bus.publish('s', 1);
    expect(seen).toEqual([]);
    await bus.flush();
    expect(seen).toEqual([1, -1, 2]);
    await bus.close();
  });

  it('drops and counts messages beyond the pending bound of a subscription', async () => {
    const bus = createMemoryBus({ maxPending: 10 });
    let got = 0;
    bus.subscribe('s', () => void got++);
    for (let i = 0; i < 100; i++) bus.publish('s', i);
    await bus.flush();
    expect(got).toBe(10);
    expect(bus.stats()).toMatchObject({ published: 100, delivered: 10, dropped: 90 });
    bus.publish('s', 'after the backlog cleared');
    await bus.flush();
    expect(got).toBe(11);
    await bus.close();
  });

  it('gives a queue message to the next member when the chosen one is full', async () => {
    const bus = createMemoryBus({ maxPending: 2 });
    const counts = [0, 0];
    bus.subscribe('q', () => void counts[0]!++, { queue: 'g' });
    bus.subscribe('q', () => void counts[1]!++, { queue: 'g' });
    for (let i = 0; i < 6; i++) bus.publish('q', i);
    await bus.flush();
    expect(counts).toEqual([2, 2]);
    expect(bus.stats().dropped).toBe(2);
    await bus.close();
  });

  it('round-robins a queue group evenly', async () => {
    const bus = createMemoryBus();
    const counts = [0, 0, 0];
    for (let k = 0; k < 3; k++) bus.subscribe('q', () => void counts[k]!++, { queue: 'g' });
    for (let i = 0; i < 300; i++) bus.publish('q', i);
    await bus.flush();
    expect(counts).toEqual([100, 100, 100]);
    await bus.close();
  });

  it('skips encoding when nothing matches', async () => {
    const bus = createMemoryBus();
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(() => bus.publish('nobody.listens', cyclic)).not.toThrow();
    bus.subscribe('somebody', () => {});
    expect(() => bus.publish('somebody', cyclic)).toThrow(/not JSON-serialisable/);
    const other: string[] = [];
    bus.subscribe('other', (m) => void other.push(m.subject));
    bus.publish('other', 1);
    await bus.flush();
    expect(other).toEqual(['other']);
    expect(bus.stats().delivered).toBe(1);
    await bus.close();
  });

  it('routes among thousands of exact subscriptions to the one that matches', async () => {
    const bus = createMemoryBus();
    const hits = new Array<number>(5000).fill(0);
    for (let i = 0; i < 5000; i++) bus.subscribe(`actor.${i}.in`, () => void hits[i]!++);
    bus.publish('actor.4321.in', {});
    await bus.flush();
    expect(hits.reduce((a, b) => a + b, 0)).toBe(1);
    expect(hits[4321]).toBe(1);
    await bus.close();
  });

  it('yields to the event loop when a handler keeps republishing to itself', async () => {
    const bus = createMemoryBus({ deliveryBatch: 64 });
    let loops = 0;
    let stop = false;
    bus.subscribe('loop', () => {
      loops++;
      if (!stop) bus.publish('loop', loops);
    });
    bus.publish('loop', 0);
    await new Promise((resolve) => setImmediate(resolve));
    stop = true;
    await bus.flush();
    expect(loops).toBeGreaterThan(1);
    await bus.close();
  });

  it('times requests out on the injected clock', async () => {
    const clock = manualClock();
    const bus = createMemoryBus({ clock, requestTimeoutMs: 1_000 });
    bus.subscribe('slow', () => {});
    const pending = rejection(bus.request('slow', 1));
    expect(clock.pending()).toBe(1);
    clock.fireAll();
    expect((await pending).code).toBe('timeout');
    expect(bus.hasInterest('_INBOX.>')).toBe(false);
    await bus.close();
  });

  it('clears the request timer and the inbox once answered', async () => {
    const clock = manualClock();
    const bus = createMemoryBus({ clock });
    bus.subscribe('svc', (m) => m.respond('pong'));
    expect((await bus.request('svc', 'ping')).json()).toBe('pong');
    expect(clock.pending()).toBe(0);
    await bus.close();
  });

  it('fails pending requests with unavailable on close, letting in-flight replies out first', async () => {
    const bus = createMemoryBus();
    const answered = latch(1);
    bus.subscribe('fast', (m) => {
      m.respond('done');
      answered.countDown();
    });
    bus.subscribe('never', () => {});
    const fast = bus.request('fast', 1);
    const never = rejection(bus.request('never', 1));
    await bus.close();
    await answered.wait();
    expect((await fast).json()).toBe('done');
    expect((await never).code).toBe('unavailable');
  });

  it('tells onHandlerError about handler exceptions', async () => {
    const errors: unknown[] = [];
    const bus = createMemoryBus({ onHandlerError: (err) => errors.push(err) });
    bus.subscribe('e', () => {
      throw new Error('bad');
    });
    bus.publish('e', 1);
    await bus.flush();
    expect(errors).toHaveLength(1);
    expect(bus.stats().handlerErrors).toBe(1);
    await bus.close();
  });

  it('rejects a max below one and a queue name that is not a token', async () => {
    const bus = createMemoryBus();
    expect(() => bus.subscribe('s', () => {}, { max: 0 })).toThrow(/max/);
    expect(() => bus.subscribe('s', () => {}, { queue: 'a b' })).toThrow(/queue/);
    await bus.close();
  });
});

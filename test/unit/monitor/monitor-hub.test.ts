import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { MonitorHub, RecentEvents } from '../../../src/monitor/index.ts';
import type { EventGap } from '../../../src/runtime/types.ts';
import { EventSeq } from '../../fixtures/monitor/events.ts';
import { latch, waitFor } from '../../helpers/poll.ts';

const logger = pino({ level: 'silent' });
const hubs: MonitorHub[] = [];
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.stop();
});

function newHub(recentEvents?: number): MonitorHub {
  const hub = new MonitorHub(logger, { recentEvents });
  hubs.push(hub);
  return hub;
}

describe('RecentEvents', () => {
  it('keeps the last N events in order and slices after a sequence number', () => {
    const ring = new RecentEvents(3);
    const gen = new EventSeq();
    expect(ring.since(0)).toEqual({ events: [], firstSeq: 0, lastSeq: 0 });
    for (let i = 0; i < 5; i++) ring.record(gen.stdout(i % 2 ? 'odd' : 'even'));
    expect(ring.size).toBe(3);
    expect(ring.firstSeq).toBe(3);
    expect(ring.since(0).events.map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(ring.since(3).events.map((e) => e.seq)).toEqual([4, 5]);
    expect(ring.since(5).events).toEqual([]);
    expect(ring.since(0, { executionId: 'even' }).events.map((e) => e.seq)).toEqual([3, 5]);
  });
});

describe('MonitorHub', () => {
  it('resumes after `since` with exactly the missed events, then live ones, once each', async () => {
    const hub = newHub(100);
    const gen = new EventSeq();
    for (let i = 0; i < 10; i++) hub.publish(gen.stdout(i % 2 ? 'b' : 'a'));
    const got: number[] = [];
    const gaps: EventGap[] = [];
    const done = latch(5);
    hub.subscribe(
      (e) => {
        got.push(e.seq);
        done.countDown();
      },
      { filter: { executionId: 'a' }, since: 4, onGap: (g) => void gaps.push(g) },
    );
    // Published after the subscription, before its replay ran: delivered live, after the replay.
    for (let i = 0; i < 4; i++) hub.publish(gen.stdout(i % 2 ? 'b' : 'a'));
    await done.wait();
    expect(got).toEqual([5, 7, 9, 11, 13]);
    expect(gaps).toEqual([]);
  });

  it('announces a gap when `since` is older than what is kept, then replays what is', async () => {
    const hub = newHub(5);
    const gen = new EventSeq();
    for (let i = 0; i < 20; i++) hub.publish(gen.stdout('x'));
    const got: Array<number | EventGap> = [];
    hub.subscribe((e) => void got.push(e.seq), {
      since: 3,
      onGap: (g) => void got.push(g),
    });
    await waitFor(() => got.length === 6);
    expect(got).toEqual([
      { since: 3, firstSeq: 16, missed: 12, reason: 'evicted' },
      16,
      17,
      18,
      19,
      20,
    ]);
  });

  it('treats an id newer than anything published as a restart: replays all it keeps', async () => {
    const hub = newHub(10);
    const gen = new EventSeq();
    for (let i = 0; i < 3; i++) hub.publish(gen.stdout('x'));
    const got: Array<number | EventGap> = [];
    hub.subscribe((e) => void got.push(e.seq), { since: 500, onGap: (g) => void got.push(g) });
    await waitFor(() => got.length === 4);
    expect(got).toEqual([{ since: 500, firstSeq: 1, missed: 0, reason: 'reset' }, 1, 2, 3]);
  });

  it('a stalled subscriber loses events, counted, while a fast one receives every event', async () => {
    const hub = newHub(0);
    const gen = new EventSeq();
    const fast: number[] = [];
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    let slowCalls = 0;
    const slow = hub.subscribe(
      () => {
        slowCalls++;
        return stalled; // never settles until the end: the listener is stuck on its first event
      },
      { bufferSize: 10, name: 'slow' },
    );
    const quick = hub.subscribe((e) => void fast.push(e.seq), { bufferSize: 10, name: 'fast' });
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 5; i++) hub.publish(gen.stdout('x'));
      // Let the sinks drain between bursts, as a live process would.
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => fast.length === 100);
    expect(fast).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(quick.dropped()).toBe(0);
    expect(slowCalls).toBe(1);
    // It holds its buffer (10) plus the event it is stuck on; the rest is lost.
    expect(slow.dropped()).toBeGreaterThanOrEqual(100 - 11);
    const stats = hub.stats();
    expect(stats.dropped).toBe(slow.dropped());
    expect(stats.perSubscriber.find((s) => s.name === 'slow')?.dropped).toBe(slow.dropped());
    expect(stats.perSubscriber.find((s) => s.name === 'fast')?.dropped).toBe(0);
    expect(stats.recent).toEqual({ size: 0, capacity: 0, firstSeq: 0, lastSeq: 100 });
    release();
    slow.unsubscribe();
    quick.unsubscribe();
    expect(hub.stats().dropped).toBeGreaterThanOrEqual(89);
    expect(hub.stats().subscribers).toBe(0);
  });

  it('paces a listener that returns promises: one event at a time, in order', async () => {
    const hub = newHub();
    const gen = new EventSeq();
    const got: number[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    hub.subscribe(
      async (e) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        got.push(e.seq);
        inFlight--;
      },
      { bufferSize: 100 },
    );
    for (let i = 0; i < 30; i++) hub.publish(gen.stdout('x'));
    await waitFor(() => got.length === 30);
    expect(got).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(maxInFlight).toBe(1);
  });

  it('rejects a bad recent buffer size by field name', () => {
    expect(() => new MonitorHub(logger, { recentEvents: -1 })).toThrow(/recentEvents/);
  });
});

/**
 * The monitor hub fed by a cluster event stream (cluster mode), against an in-memory stream
 * that numbers what is appended as JetStream does: subscribers see the stream's events under
 * the stream's numbers, never this process's own publications twice; resumes read the stream
 * past the ring, announce what retention dropped, skip what a client ahead of this node already
 * saw; and a run's waiters wake once its final event came back from the stream, or after the
 * echo timeout when it never does. Without a stream it shows its own events; a stream not
 * readable at start is opened again until it is. The real JetStream stream is in
 * test/integration/cluster and test/integration/monitor.
 */
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { StampedEvent } from '../../../src/events.ts';
import {
  MonitorHub,
  type EventStream,
  type HistoryQuery,
  type StreamDelivery,
} from '../../../src/monitor/index.ts';
import type { EventGap } from '../../../src/runtime/types.ts';
import { NotFoundError } from '../../../src/errors.ts';
import { EventSeq } from '../../fixtures/monitor/events.ts';
import { waitFor } from '../../helpers/poll.ts';

const logger = pino({ level: 'silent' });
const hubs: MonitorHub[] = [];
afterEach(() => {
  for (const hub of hubs.splice(0)) hub.stop();
});

/** Numbers appended events 1, 2, ...; `drop(n)` forgets the oldest n, as retention would. */
class MemoryStream implements EventStream {
  readonly kept: StampedEvent[] = [];
  #last = 0;
  #deliver: StreamDelivery | undefined;

  append(event: StampedEvent): void {
    const copy = { ...event, seq: ++this.#last };
    this.kept.push(copy);
    this.#deliver?.({ ...copy });
  }
  drop(n: number): void {
    this.kept.splice(0, n);
  }
  async open(deliver: StreamDelivery): Promise<number> {
    this.#deliver = deliver;
    return this.#last;
  }
  async close(): Promise<void> {
    this.#deliver = undefined;
  }
  async lastSeq(): Promise<number> {
    return this.#last;
  }
  async read({ after, before }: HistoryQuery) {
    const firstSeq = Math.max(this.kept[0]?.seq ?? this.#last + 1, after + 1);
    const events = this.kept.filter((e) => e.seq > after && e.seq < before).map((e) => ({ ...e }));
    return {
      complete: (this.kept[0]?.seq ?? this.#last + 1) <= after + 1,
      firstSeq,
      events: (async function* () {
        yield* events;
      })(),
    };
  }
}

async function streamedHub(stream: MemoryStream, recentEvents = 100, echoTimeoutMs = 5000) {
  const hub = new MonitorHub(logger, { recentEvents, stream, echoTimeoutMs });
  hubs.push(hub);
  await hub.start();
  expect(hub.streamed).toBe(true);
  return hub;
}

describe('MonitorHub fed by the cluster event stream', () => {
  it('shows the stream under its numbers, not its own publications', async () => {
    const stream = new MemoryStream();
    const gen = new EventSeq();
    for (let i = 0; i < 3; i++) stream.append(gen.stdout('before')); // older than this node
    const hub = await streamedHub(stream);
    const got: number[] = [];
    hub.subscribe((e) => void got.push(e.seq));
    const own = gen.stdout('own'); // published here (seq 4 of this process)...
    hub.publish(own);
    stream.append(gen.stdout('other')); // ...another node's event reaches the stream first,
    stream.append(own); // then this node's.
    await waitFor(() => got.length === 2);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(got).toEqual([4, 5]);
  });

  it('resumes past the ring from the stream, with a gap for what retention dropped', async () => {
    const stream = new MemoryStream();
    const gen = new EventSeq();
    for (let i = 0; i < 10; i++) stream.append(gen.stdout('x'));
    const hub = await streamedHub(stream, 4);
    for (let i = 0; i < 10; i++) stream.append(gen.stdout('x'));
    const resume = async (since: number, count: number) => {
      const got: Array<number | EventGap> = [];
      const sub = hub.subscribe((e) => void got.push(e.seq), {
        since,
        onGap: (g) => void got.push(g),
      });
      await waitFor(() => got.length >= count);
      sub.unsubscribe();
      return got;
    };
    // 3..16 from the stream (some before this node started), 17..20 from the ring.
    expect(await resume(2, 18)).toEqual(Array.from({ length: 18 }, (_, i) => i + 3));
    stream.drop(5);
    expect(await resume(2, 16)).toEqual([
      { since: 2, firstSeq: 6, missed: 3, reason: 'evicted' },
      ...Array.from({ length: 15 }, (_, i) => i + 6),
    ]);
  });

  it('skips live events a client ahead of this node saw; replays all after a stream reset', async () => {
    const stream = new MemoryStream();
    const gen = new EventSeq();
    const hub = await streamedHub(stream);
    stream.append(gen.stdout('x'));
    const got: number[] = [];
    const gaps: EventGap[] = [];
    // The client saw seq 3 on another node; this node has delivered only 1 so far.
    hub.subscribe((e) => void got.push(e.seq), { since: 3, onGap: (g) => void gaps.push(g) });
    for (let i = 0; i < 4; i++) stream.append(gen.stdout('x'));
    await waitFor(() => got.length === 2);
    expect(got).toEqual([4, 5]);
    expect(gaps).toEqual([]);

    const reset: Array<number | EventGap> = [];
    hub.subscribe((e) => void reset.push(e.seq), { since: 99, onGap: (g) => void reset.push(g) });
    await waitFor(() => reset.length === 6);
    expect(reset).toEqual([{ since: 99, firstSeq: 1, missed: 0, reason: 'reset' }, 1, 2, 3, 4, 5]);
  });

  it("wakes a run's waiters once its final event came back from the stream", async () => {
    const stream = new MemoryStream();
    const gen = new EventSeq();
    const hub = await streamedHub(stream);
    const got: string[] = [];
    hub.subscribe((e) => void got.push(e.type));
    const final = { ...gen.stdout('run'), type: 'execution.completed' } as StampedEvent;
    hub.publish(final);
    let woke = false;
    const delivered = hub.delivered();
    expect(delivered).toBeDefined();
    void delivered!.then(() => (woke = true));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(woke).toBe(false); // not back from the stream yet
    stream.append(final);
    await delivered;
    expect(got).toEqual(['execution.completed']);
  });

  it('wakes them after the echo timeout when the stream never brings it back', async () => {
    const stream = new MemoryStream();
    const gen = new EventSeq();
    const hub = await streamedHub(stream, 100, 50);
    hub.subscribe(() => undefined);
    hub.publish({ ...gen.stdout('lost'), type: 'execution.failed' } as StampedEvent);
    const started = Date.now();
    await hub.delivered();
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(hub.delivered()).toBeUndefined();
  });

  it('shows its own events when there is no stream; opens a stream not readable yet later', async () => {
    const gen = new EventSeq();
    const missing = new MemoryStream();
    missing.open = () => Promise.reject(new NotFoundError('event stream', 'x_events'));
    const alone = new MonitorHub(logger, { stream: missing });
    hubs.push(alone);
    await alone.start();
    expect(alone.streamed).toBe(false);
    const own: number[] = [];
    alone.subscribe((e) => void own.push(e.seq));
    alone.publish(gen.stdout('x'));
    await waitFor(() => own.length === 1);

    const later = new MemoryStream();
    const open = later.open.bind(later);
    let attempts = 0;
    later.open = (deliver) =>
      ++attempts === 1 ? Promise.reject(new Error('timeout')) : open(deliver);
    const hub = new MonitorHub(logger, { stream: later });
    hubs.push(hub);
    await hub.start();
    expect(hub.streamed).toBe(true);
    const got: number[] = [];
    hub.subscribe((e) => void got.push(e.seq));
    hub.publish(gen.stdout('own')); // not shown: only the stream is
    await waitFor(() => attempts === 2, { timeoutMs: 5000 });
    later.append(gen.stdout('y'));
    await waitFor(() => got.length === 1);
    expect(got).toEqual([1]);
  });
});

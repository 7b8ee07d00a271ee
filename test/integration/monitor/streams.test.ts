/**
 * The monitor's live streams against a real service (SQLite store, real processes): SSE and
 * WebSocket clients receive one run's events in order; an SSE client that reconnects with
 * `Last-Event-ID` gets exactly the events it missed; a client that stops reading loses events,
 * counted per subscriber and in `stator_events_dropped_total`, while a client that keeps
 * reading receives every one.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StampedEvent } from '../../../src/events.ts';
import type { EventSubscription, Stator } from '../../../src/runtime/types.ts';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';
import { DIAMOND_WORKFLOW } from '../../fixtures/runtime/workflows.ts';
import { startStator, type TestStator } from '../../helpers/stator.ts';
import { readSse, type SseMessage } from '../../helpers/sse-client.ts';
import { openWs, type WsClient } from '../../helpers/ws-client.ts';
import { waitFor } from '../../helpers/poll.ts';

const SLOW = { timeout: 120_000 };
/** Lines (~1 KiB each) of the flood step: far more than a stalled socket and its buffer hold. */
const FLOOD_LINES = 20_000;
const BUFFER = 2000;

let harness: TestStator;
let server: HttpServerHandle;
/** Every SSE/WS subscription the app made, in order, with its name. */
const subscriptions: Array<{ name: string | undefined; sub: EventSubscription }> = [];

beforeAll(async () => {
  // The monitor's fan-out is under test, not the runner: steps run as children of this process,
  // whose pipes pace the 20,000-line flood as they did before the process host (through the
  // host the flood arrives in 64 KiB batches, which a CPU-starved CI machine's reading client
  // can fall behind; the host's own delivery of every line is tested in test/unit/host).
  harness = await startStator({ engines: 1, slotsPerEngine: 4, processHost: false });
  const { stator } = harness;
  await stator.registerWorkflow(DIAMOND_WORKFLOW);
  await stator.registerWorkflow({
    id: 'flood',
    steps: [
      {
        id: 'lines',
        // Bursts of 250 lines with a short pause: a fast reader keeps up (its buffer holds
        // several bursts), a stalled one cannot hold the whole 20 MB.
        run: `awk 'BEGIN { s = sprintf("%1000s", ""); gsub(/ /, "x", s); for (i = 1; i <= ${FLOOD_LINES}; i++) { print i, s; if (i % 250 == 0) { fflush(); system("sleep 0.02") } } }'`,
      },
    ],
  });
  // The service, with subscribe observed so the test can read each stream's drop counter.
  const observed = new Proxy(stator, {
    get(target, prop, receiver) {
      if (prop !== 'subscribe') return Reflect.get(target, prop, receiver) as unknown;
      return (...args: Parameters<Stator['subscribe']>): EventSubscription => {
        const sub = target.subscribe(...args);
        subscriptions.push({ name: args[1]?.name, sub });
        return sub;
      };
    },
  });
  const app = createHttpApp({ stator: observed, sseBufferSize: BUFFER });
  server = await startHttpServer({ app, port: 0 });
}, 30_000);

afterAll(async () => {
  await server?.close();
  await harness?.close();
});

/** Reads SSE events from `url` until `stop(event)` holds; returns them and the last id. */
async function collectSse(
  url: string,
  stop: (e: StampedEvent) => boolean,
  headers: Record<string, string> = {},
  onConnected?: () => Promise<unknown>,
): Promise<{ events: StampedEvent[]; messages: SseMessage[] }> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  expect(res.status).toBe(200);
  const events: StampedEvent[] = [];
  const messages: SseMessage[] = [];
  try {
    for await (const msg of readSse(res.body!)) {
      messages.push(msg);
      if (msg.comment === 'connected') await onConnected?.();
      if (msg.data === undefined || msg.event?.startsWith('monitor.')) continue;
      const event = JSON.parse(msg.data) as StampedEvent;
      expect(msg.id).toBe(String(event.seq));
      events.push(event);
      if (stop(event)) break;
    }
  } finally {
    abort.abort();
  }
  return { events, messages };
}

const isEnd = (id: string) => (e: StampedEvent) =>
  e.type === 'execution.completed' && (e as { executionId: string }).executionId === id;

describe('SSE and WebSocket streams', () => {
  it(
    'deliver one run to an SSE and a WebSocket client in the same causal order',
    SLOW,
    async () => {
      const id = 'ex-streams-1';
      const ws: WsClient = await openWs(`${server.url.replace('http', 'ws')}/ws`);
      try {
        await ws.next((m) => m.type === 'connected');
        ws.send({ type: 'subscribe', executionId: id });
        await ws.next((m) => m.type === 'subscribed');
        const sse = await collectSse(
          `${server.url}/api/events?executionId=${id}`,
          isEnd(id),
          {},
          () => harness.stator.execute('diamond', {}, { executionId: id }),
        );
        await ws.next((m) => m.type === 'event' && isEnd(id)(m.event as StampedEvent));
        const viaWs = ws.messages
          .filter((m) => m.type === 'event')
          .map((m) => m.event as StampedEvent);

        const seqs = sse.events.map((e) => e.seq);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        expect(viaWs.map((e) => e.seq)).toEqual(seqs);
        // The same run as the harness's own in-process subscriber saw it.
        expect(seqs).toEqual(harness.eventsOf(id).map((e) => e.seq));
        const types = sse.events.map((e) => e.type);
        expect(types.slice(0, 2)).toEqual(['execution.queued', 'execution.started']);
        expect(types.at(-1)).toBe('execution.completed');
        expect(types.filter((t) => t === 'step.completed')).toHaveLength(4);
      } finally {
        await ws.close();
      }
    },
  );

  it('resumes with Last-Event-ID: exactly the missed events, then live ones', SLOW, async () => {
    const id = 'ex-streams-2';
    // First connection: stop after the first step has completed.
    const first = await collectSse(
      `${server.url}/api/events?executionId=${id}`,
      (e) => e.type === 'step.completed',
      {},
      () => harness.stator.execute('diamond', {}, { executionId: id }),
    );
    const lastId = first.events.at(-1)!.seq;
    await harness.finish(id);
    // Reconnect as EventSource does; the run finished meanwhile.
    const second = await collectSse(`${server.url}/api/events?executionId=${id}`, isEnd(id), {
      'last-event-id': String(lastId),
    });
    const all = harness.eventsOf(id).map((e) => e.seq);
    expect([...first.events, ...second.events].map((e) => e.seq)).toEqual(all);
    expect(second.events[0]!.seq).toBeGreaterThan(lastId);
    expect(second.messages.some((m) => m.event === 'monitor.gap')).toBe(false);
    // The query form does the same.
    const third = await collectSse(
      `${server.url}/api/events?executionId=${id}&lastEventId=${lastId}`,
      isEnd(id),
    );
    expect(third.events.map((e) => e.seq)).toEqual(second.events.map((e) => e.seq));
  });

  it(
    'drops for a client that stops reading, counted, while one that reads gets all',
    SLOW,
    async () => {
      const id = 'ex-flood';
      const before = subscriptions.length;
      // A client that sends its request and never reads: its socket and then its buffer fill.
      const stalled = await stalledSseClient(server.port, '/api/events?kind=execution');
      try {
        await waitFor(() => subscriptions.length === before + 1);
        const stalledSub = subscriptions[before]!.sub;
        const fast = await collectSse(
          `${server.url}/api/events?executionId=${id}`,
          isEnd(id),
          {},
          () => harness.stator.execute('flood', {}, { executionId: id }),
        );
        const lines = fast.events.filter((e) => e.type === 'step.stdout');
        expect(lines).toHaveLength(FLOOD_LINES);
        expect(new Set(lines.map((e) => (e as { line: string }).line.split(' ')[0])).size).toBe(
          FLOOD_LINES,
        );
        expect(fast.messages.some((m) => m.event === 'monitor.dropped')).toBe(false);

        await waitFor(() => stalledSub.dropped() > 0, { timeoutMs: 30_000 });
        const dropped = stalledSub.dropped();
        expect(dropped).toBeLessThan(FLOOD_LINES + 10);
        const metrics = await harness.stator.metrics();
        const total = Number(/^stator_events_dropped_total (\d+)/m.exec(metrics)?.[1]);
        expect(total).toBeGreaterThanOrEqual(dropped);

        // Once it reads again it is told what it lost, before its next event.
        stalled.socket.resume();
        await harness.run('diamond');
        const notice = await waitFor(() => stalled.droppedNotice(), { timeoutMs: 30_000 });
        expect(notice).toMatchObject({ type: 'monitor.dropped' });
        expect(notice.dropped).toBeGreaterThanOrEqual(dropped);
      } finally {
        stalled.socket.destroy();
      }
    },
  );
});

/** An SSE client on a raw socket that stops reading once it is subscribed. */
async function stalledSseClient(
  port: number,
  path: string,
): Promise<{ socket: Socket; droppedNotice: () => { type: string; dropped: number } | undefined }> {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
  await waitFor(() => text.includes(': connected'));
  socket.pause();
  return {
    socket,
    // The body is chunked; one notice is written whole, so a search of the raw text finds it.
    droppedNotice: () => {
      const match = /event: monitor\.dropped\ndata: (\{[^\n]*\})/.exec(text);
      return match ? (JSON.parse(match[1]!) as { type: string; dropped: number }) : undefined;
    },
  };
}

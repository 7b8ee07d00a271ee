/**
 * One cluster-wide event stream: two nodes (in this process, each on its own NATS connection,
 * as `stator serve --nats` builds them) on one real nats-server. From node A, SSE and WebSocket
 * show the runs node B executes — every event, in order, once — numbered by the JetStream event
 * stream, so the numbers are one sequence for the cluster: a client resumes from the middle on
 * either node and gets exactly the rest. Compared with what a plain NATS client receives on
 * `<prefix>.execution.*.out` and with the stream itself. A waiter on the node that ran a run
 * wakes after that node's subscribers saw its end; metrics count each run once, where it ran.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StampedEvent } from '../../../src/events.ts';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { RawClient, type EventWatch } from '../../fixtures/cluster/raw-client.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { openWs } from '../../helpers/ws-client.ts';
import { parsePrometheusText } from '../../helpers/prometheus-text.ts';
import {
  executionOf,
  readEvents,
  startClusterNode,
  type ClusterNode,
  type SseRead,
} from '../monitor/cluster-nodes.ts';

const SLOW = { timeout: 90_000 };
const RUNS = 10;
const FINAL = new Set(['execution.completed', 'execution.failed', 'execution.cancelled']);
const TRIO = {
  id: 'trio',
  steps: [
    { id: 'a', run: 'echo a' },
    { id: 'b', needs: ['a'], run: 'sleep 0.2; echo b' },
    { id: 'c', needs: ['b'], run: 'echo c' },
  ],
};

let server: NatsServer;
let raw: RawClient;
let watch: EventWatch;
let a: ClusterNode;
let b: ClusterNode;
const prefix = uniquePrefix('ev');
/** What A's SSE showed while the burst ran (set by the first test). */
let seen: SseRead;
const runIds: string[] = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  raw = await RawClient.connect(server.url, 'raw-test-client', prefix);
  watch = raw.watch(raw.subject('execution', '*', 'out'));
  // A has one slot, B eight: most runs of a burst execute on B.
  a = await startClusterNode(server.url, prefix, 'node-a', { engines: 1, slotsPerEngine: 1 });
  // B keeps 8 recent events only: its resumes read the stream.
  b = await startClusterNode(server.url, prefix, 'node-b', {
    engines: 1,
    slotsPerEngine: 8,
    monitor: { recentEvents: 8 },
  });
  await a.stator.registerWorkflow(TRIO);
}, 60_000);

afterAll(async () => {
  watch?.stop();
  await a?.close();
  await b?.close();
  await raw?.close();
  await deleteClusterStreams(server.url, [prefix]).catch(() => undefined);
  await server?.stop();
});

/** Step events as a run emitted them: type and step, in order. */
function shape(events: Array<{ type: string; stepId?: string }>): string[] {
  return events.map((e) => `${e.type}${e.stepId ? `:${e.stepId}` : ''}`);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('one cluster-wide event stream', () => {
  it("SSE on node A shows every event of node B's runs, in order, once", SLOW, async () => {
    let connected!: () => void;
    const ready = new Promise<void>((resolve) => (connected = resolve));
    const finished = new Set<string>();
    const reading = readEvents(a.url, {
      signal: AbortSignal.timeout(45_000),
      onConnected: () => connected(),
      done: (r) => {
        const e = r.events.at(-1)!;
        if (FINAL.has(e.type)) finished.add(executionOf(e)!);
        return runIds.length === RUNS && runIds.every((id) => finished.has(id));
      },
    });
    await ready;
    for (let i = 0; i < RUNS; i++) runIds.push((await b.stator.execute('trio')).executionId);
    await Promise.all(runIds.map((id) => b.stator.waitForExecution(id, { timeoutMs: 60_000 })));
    seen = await reading;

    const records = await Promise.all(runIds.map((id) => a.stator.getExecution(id)));
    const onB = records.filter((r) => r.node === 'node-b');
    expect(onB.length).toBeGreaterThan(0);
    for (const record of records) {
      expect(record.status).toBe('completed');
      const viaSse = seen.events.filter((e) => executionOf(e) === record.id);
      // Exactly what the node that ran it published on the run's subject, in the same order.
      expect(shape(viaSse as never)).toEqual(shape(watch.of(record.id)));
      expect(viaSse.at(-1)?.type).toBe('execution.completed');
    }
    // One sequence for the cluster: every event of the stream, once, numbered by the stream.
    expect(seen.ids).toEqual(range(seen.ids[0]!, seen.ids.at(-1)!));
    expect(seen.events.map((e) => e.seq)).toEqual(seen.ids);
    expect(seen.gaps).toEqual([]);
  });

  it('Last-Event-ID from the middle returns exactly the rest, on either node', SLOW, async () => {
    const mid = seen.ids[Math.floor(seen.ids.length / 2)]!;
    const last = seen.ids.at(-1)!;
    const rest = seen.ids.filter((id) => id > mid);
    const untilLast = (r: SseRead) => r.ids.at(-1)! >= last;
    // B keeps 8 events in memory: most of the rest comes from the stream.
    const fromB = await readEvents(b.url, { lastEventId: mid, done: untilLast });
    expect(fromB.ids).toEqual(rest);
    expect(fromB.gaps).toEqual([]);
    expect(shape(fromB.events as never)).toEqual(shape(seen.events.filter((e) => e.seq > mid)));
    // A still has them all in memory; the query form of the id, with a filter.
    const run = runIds.find((id) => seen.events.some((e) => e.seq > mid && executionOf(e) === id))!;
    const expected = seen.events.filter((e) => e.seq > mid && executionOf(e) === run);
    const fromA = await readEvents(a.url, {
      query: `?executionId=${run}&lastEventId=${mid}`,
      done: (r) => r.ids.length === expected.length,
    });
    expect(fromA.ids).toEqual(expected.map((e) => e.seq));
    const fromBFiltered = await readEvents(b.url, {
      query: `?executionId=${run}&lastEventId=${mid}`,
      done: (r) => r.ids.length === expected.length,
    });
    expect(fromBFiltered.ids).toEqual(expected.map((e) => e.seq));
  });

  it('WebSocket: live events of runs on B, and a resume from the middle', SLOW, async () => {
    const mid = seen.ids[Math.floor(seen.ids.length / 3)]!;
    const last = seen.ids.at(-1)!;
    await using ws = await openWs(`${a.url.replace('http', 'ws')}/ws`);
    await ws.next((m) => m.type === 'connected');
    ws.send({ type: 'subscribe', since: mid });
    const isEvent = (m: { type: string; event?: unknown }) => m.type === 'event';
    await ws.next((m) => isEvent(m) && (m.event as StampedEvent).seq >= last, 20_000);
    const resumed = ws.messages.filter(isEvent).map((m) => (m.event as StampedEvent).seq);
    expect(resumed.filter((s) => s <= last)).toEqual(seen.ids.filter((id) => id > mid));
    expect(ws.messages.some((m) => m.type === 'gap')).toBe(false);

    // Live, through B's socket: a new burst, each run's events as its node published them.
    await using wsB = await openWs(`${b.url.replace('http', 'ws')}/ws`);
    await wsB.next((m) => m.type === 'connected');
    wsB.send({ type: 'subscribe', workflowId: 'trio' });
    await wsB.next((m) => m.type === 'subscribed');
    const more: string[] = [];
    for (let i = 0; i < 4; i++) more.push((await a.stator.execute('trio')).executionId);
    await Promise.all(more.map((id) => a.stator.waitForExecution(id, { timeoutMs: 60_000 })));
    for (const id of more) {
      await wsB.next(
        (m) =>
          isEvent(m) &&
          FINAL.has((m.event as StampedEvent).type) &&
          executionOf(m.event as StampedEvent) === id,
      );
    }
    const live = wsB.messages.filter(isEvent).map((m) => m.event as StampedEvent);
    for (const id of more) {
      expect(shape(live.filter((e) => executionOf(e) === id) as never)).toEqual(
        shape(watch.of(id)),
      );
    }
    const seqs = live.map((e) => e.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((x, y) => x - y));
  });

  it(
    'a waiter on the node that ran a run wakes after its subscribers saw the end',
    SLOW,
    async () => {
      // Each node's subscribers see its own events only once they are back from the stream.
      const heard = new Map<ClusterNode, StampedEvent[]>([
        [a, []],
        [b, []],
      ]);
      const subs = [...heard].map(([node, list]) =>
        node.stator.subscribe((e) => void list.push(e), { filter: { workflowId: 'trio' } }),
      );
      try {
        const ids: string[] = [];
        for (let i = 0; i < 6; i++) ids.push((await b.stator.execute('trio')).executionId);
        // What each node's subscriber had heard of a run when that node's waiter woke.
        const atWake = new Map<string, Map<string, boolean>>();
        await Promise.all(
          ids.flatMap((id) =>
            [a, b].map(async (node) => {
              await node.stator.waitForExecution(id, { timeoutMs: 60_000 });
              const ended = heard
                .get(node)!
                .some((e) => e.type === 'execution.completed' && executionOf(e) === id);
              if (!atWake.has(id)) atWake.set(id, new Map());
              atWake.get(id)!.set(node.name, ended);
            }),
          ),
        );
        for (const id of ids) {
          const { node } = await a.stator.getExecution(id);
          expect(atWake.get(id)!.get(node!)).toBe(true);
        }
      } finally {
        for (const sub of subs) sub.unsubscribe();
      }
    },
  );

  it('metrics count each run once, on the node that ran it', SLOW, async () => {
    const page = await a.stator.listExecutions({ workflowId: 'trio', limit: 500 });
    const ran = new Map<string, number>();
    for (const r of page.items) ran.set(r.node!, (ran.get(r.node!) ?? 0) + 1);
    expect(page.items.every((r) => r.status === 'completed')).toBe(true);
    for (const node of [a, b]) {
      const text = await (await fetch(`${node.url}/metrics`)).text();
      const counted = parsePrometheusText(text).value('stator_executions_total', {
        workflow: 'trio',
        status: 'completed',
      });
      // Every node sees every run's events, but counts only those it published.
      expect(counted ?? 0).toBe(ran.get(node.name) ?? 0);
    }
  });
});

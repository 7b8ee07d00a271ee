/**
 * The cluster-wide event stream across a nats-server crash: two nodes run a burst while the
 * server is SIGKILLed and restarted on its store. An SSE client of node A that stays connected
 * through the outage, and one that disconnects with the crash and reconnects with its
 * `Last-Event-ID`, each end up with every event of the stream from where they started, once, in
 * order and without a gap notice: the node's ordered consumer resumes from the last sequence it
 * delivered, and the resume reads the stream by that sequence.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { RawClient } from '../../fixtures/cluster/raw-client.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';
import {
  readEvents,
  startClusterNode,
  type ClusterNode,
  type SseRead,
} from '../monitor/cluster-nodes.ts';

const SLOW = { timeout: 120_000 };
const RUNS = 8;
const STEPS = {
  id: 'steady',
  steps: [
    { id: 'one', run: 'echo one' },
    { id: 'two', needs: ['one'], run: 'sleep 0.3; echo two' },
    { id: 'three', needs: ['two'], run: 'sleep 0.3; echo three' },
  ],
};

let server: NatsServer;
let a: ClusterNode;
let b: ClusterNode;
const prefix = uniquePrefix('evr');

beforeAll(async () => {
  // Killed and restarted by the test: a private server of its own.
  server = await startNatsServer({ private: true });
  a = await startClusterNode(server.url, prefix, 'node-a', { engines: 1, slotsPerEngine: 4 });
  b = await startClusterNode(server.url, prefix, 'node-b', { engines: 1, slotsPerEngine: 4 });
  await a.stator.registerWorkflow(STEPS);
}, 60_000);

afterAll(async () => {
  await a?.close();
  await b?.close();
  await deleteClusterStreams(server.url, [prefix]).catch(() => undefined);
  await server?.stop();
}, 60_000);

/** The stream's last sequence number, asked by a client of the test's own. */
async function streamEnd(): Promise<number> {
  const raw = await RawClient.connect(server.url, 'stream-end');
  try {
    const jsm = await jetstreamManager(raw.nc);
    return (await jsm.streams.info(`${prefix}_events`)).state.last_seq;
  } finally {
    await raw.close();
  }
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('event stream across a nats-server restart', () => {
  it('SSE clients get no gap and no duplicate, connected or resumed', SLOW, async () => {
    // Stays connected to A through the outage.
    const steadyStop = new AbortController();
    let steadyReady!: () => void;
    const steadyConnected = new Promise<void>((resolve) => (steadyReady = resolve));
    let steady: SseRead | undefined;
    const steadyDone = readEvents(a.url, {
      signal: steadyStop.signal,
      onConnected: () => steadyReady(),
      done: (r) => ((steady = r), false),
    });
    await steadyConnected;

    // Sees the burst begin, then loses its connection with the crash (as a browser would).
    let firstReady!: () => void;
    const firstConnected = new Promise<void>((resolve) => (firstReady = resolve));
    const first = readEvents(a.url, {
      onConnected: () => firstReady(),
      done: (r) => r.events.length >= 12,
    });
    await firstConnected;
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      ids.push((await (i % 2 ? a : b).stator.execute('steady')).executionId);
    }
    const before = await first;
    const lastSeen = before.ids.at(-1)!;

    await server.kill();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await server.restart();

    // Both nodes are back once a new run goes through the cluster end to end.
    const probe = await waitFor(async () => (await b.stator.execute('steady')).executionId, {
      timeoutMs: 30_000,
      intervalMs: 500,
      message: 'node B accepts runs again',
    });
    await b.stator.waitForExecution(probe, { timeoutMs: 60_000 });
    // Let the burst end. Whether every run survives a NATS crash is the outage tests' concern;
    // here the stream is the reference: the clients must show exactly what it holds.
    await waitFor(
      async () => {
        const records = await Promise.all(ids.map((id) => a.stator.getExecution(id)));
        return records.every((r) => r.finishedAt !== undefined);
      },
      { timeoutMs: 60_000, intervalMs: 500, message: 'the burst ends' },
    ).catch(() => undefined);
    const end = await streamEnd();

    const after = await readEvents(a.url, {
      lastEventId: lastSeen,
      done: (r) => r.ids.at(-1)! >= end,
    });
    expect(after.gaps).toEqual([]);
    const resumed = [...before.ids, ...after.ids.filter((id) => id <= end)];
    expect(resumed).toEqual(range(before.ids[0]!, end));

    // Promptly: a pull lost in the restart stalls the feed for two missed heartbeats at most.
    await waitFor(() => (steady?.ids.at(-1) ?? 0) >= end, {
      timeoutMs: 15_000,
      message: 'the connected client reaches the end of the stream',
    });
    steadyStop.abort();
    await steadyDone;
    const connected = steady!.ids.filter((id) => id <= end);
    expect(connected).toEqual(range(connected[0]!, end));
    expect(steady!.gaps).toEqual([]);
    // Both saw the probe run's end, which happened after the restart.
    const probeEnd = (r: SseRead) =>
      r.events.some(
        (e) =>
          e.type === 'execution.completed' && (e as { executionId?: string }).executionId === probe,
      );
    expect(probeEnd(steady!)).toBe(true);
    expect(probeEnd(after)).toBe(true);
  });
});

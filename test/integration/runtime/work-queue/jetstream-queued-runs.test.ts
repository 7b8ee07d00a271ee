/**
 * The queued bucket behind a cluster's `maxQueuedExecutions` (jetstream-queued-runs.ts) on a
 * real nats-server: places are granted up to the limit and no further, idempotently per run;
 * two nodes (connections of their own) entering one workflow at once never grant more than the
 * limit between them; a place whose run has no record after the grace, or no longer waits, is
 * freed by the sweep, while a waiting run keeps its own.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../../src/clock.ts';
import { silentLogger } from '../../../../src/logger.ts';
import {
  QueuedRuns,
  type QueuedRunsOptions,
  type QueuedRunState,
} from '../../../../src/runtime/work-queue/jetstream-queued-runs.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../../helpers/nats-server.ts';
import { waitFor } from '../../../helpers/poll.ts';

let server: NatsServer;
const connections: NatsConnection[] = [];
const opened: QueuedRuns[] = [];
const buckets: string[] = [];

beforeAll(async () => {
  server = await startNatsServer();
}, 30_000);

afterAll(async () => {
  for (const q of opened) q.close();
  if (connections[0]) {
    const jsm = await jetstreamManager(connections[0]);
    for (const b of buckets) await jsm.streams.delete(`KV_${b}`).catch(() => false);
  }
  for (const c of connections) await c.close();
  await server?.stop();
});

/** Opens the bucket on a connection of its own (another node). */
async function node(bucket: string, extra: Partial<QueuedRunsOptions> = {}): Promise<QueuedRuns> {
  const connection = await connect({ servers: server.url });
  connections.push(connection);
  const runs = await QueuedRuns.open({
    connection,
    bucket,
    replicas: 1,
    logger: silentLogger(),
    clock: systemClock,
    ...extra,
  });
  opened.push(runs);
  return runs;
}

function freshBucket(): string {
  const bucket = `${uniquePrefix('qr')}_queued`;
  buckets.push(bucket);
  return bucket;
}

describe('queued runs: a workflow bound shared by the nodes', () => {
  it('grants up to the limit, the same run again, and one more once a run leaves', async () => {
    const runs = await node(freshBucket());
    for (const id of ['r1', 'r2', 'r3']) expect(await runs.enter('wf', id, 3)).toBe(true);
    expect(await runs.enter('wf', 'r4', 3)).toBe(false);
    // A place already held is granted again (a retried admission), not counted twice.
    expect(await runs.enter('wf', 'r2', 3)).toBe(true);
    // Another workflow has a bound of its own.
    expect(await runs.enter('other', 'o1', 1)).toBe(true);
    runs.leave('wf', 'r1');
    await waitFor(() => runs.enter('wf', 'r4', 3));
    expect(await runs.enter('wf', 'r5', 3)).toBe(false);
  });

  it('never grants more than the limit to 60 runs entering at once on two nodes', async () => {
    const bucket = freshBucket();
    const [a, b] = [await node(bucket), await node(bucket)];
    const ids = Array.from({ length: 60 }, (_, i) => `run-${i}`);
    const granted = await Promise.all(ids.map((id, i) => (i % 2 ? a : b).enter('wf', id, 7)));
    expect(granted.filter(Boolean)).toHaveLength(7);
    // Both nodes saw the same document: neither grants an eighth.
    expect(await a.enter('wf', 'late-a', 7)).toBe(false);
    expect(await b.enter('wf', 'late-b', 7)).toBe(false);
  });

  it('sweeps places of runs without a record or no longer waiting, keeps waiting ones', async () => {
    const bucket = freshBucket();
    const states = new Map<string, QueuedRunState>([
      ['waiting', 'pending'],
      ['started', 'other'],
      ['next-1', 'pending'],
      ['next-2', 'pending'],
    ]);
    // The node that admitted them was killed: only the sweep of another node can free them.
    const killed = await node(bucket);
    for (const id of ['waiting', 'started', 'never-recorded']) {
      expect(await killed.enter('wf', id, 3)).toBe(true);
    }
    killed.close();
    const sweeper = await node(bucket, {
      runState: async (id) => states.get(id) ?? 'missing',
      sweepMs: 20,
      graceMs: 0,
    });
    // Two places freed: two more runs get in, and no third.
    await waitFor(() => sweeper.enter('wf', 'next-1', 3));
    await waitFor(() => sweeper.enter('wf', 'next-2', 3));
    expect(await sweeper.enter('wf', 'next-3', 3)).toBe(false);
  });
});

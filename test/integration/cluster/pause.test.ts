/**
 * Pause in cluster mode, two nodes on a private nats-server sharing the JetStream store and work
 * queue: a pause and a resume through the node that does not hold the run reach its holder
 * (forwarded on `stator.execution.<id>.in`); no step starts while paused; the run completes once
 * resumed, on its holder, each step once.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator, type Stator } from '../../../src/index.ts';
import { connectCluster, type ClusterSeams } from '../../../src/runtime/cluster.ts';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const logger = pino({ level: 'silent' });
const prefix = uniquePrefix('pause');

let server: NatsServer;
const seams: ClusterSeams[] = [];
const nodes: Stator[] = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  for (const name of ['pause-1', 'pause-2']) {
    const s = await connectCluster({ url: server.url, name, prefix, logger });
    seams.push(s);
    nodes.push(
      await createStator({
        bus: s.bus,
        store: s.store,
        workQueue: s.workQueue,
        node: name,
        shutdownGraceMs: 0,
        rateLimit: { ratePerSecond: 0 },
      }),
    );
  }
  await nodes[0]!.registerWorkflow({
    id: 'chain',
    steps: [
      { id: 'one', run: 'sleep 1' },
      { id: 'two', needs: ['one'], noop: true },
      { id: 'three', needs: ['two'], noop: true },
    ],
  });
}, 60_000);

afterAll(async () => {
  for (const n of nodes) await n.close({ stopProcesses: true }).catch(() => undefined);
  for (const s of seams) await s.close().catch(() => undefined);
  await deleteClusterStreams(server.url, [prefix]);
  await server?.stop();
});

describe('cluster: pause and resume', () => {
  it('a pause through the node that does not hold the run reaches its holder', async () => {
    const { executionId: id } = await nodes[0]!.execute('chain');
    const record = await waitFor(
      async () => {
        const r = await nodes[0]!.getExecution(id);
        return r.steps[0]!.status === 'running' && r.node !== null ? r : undefined;
      },
      { timeoutMs: 15_000, message: 'step one running' },
    );
    const holder = record.node === 'pause-1' ? 0 : 1;
    const other = nodes[1 - holder]!;
    const paused = await other.setPaused(id, { pause: true, by: 'far' });
    expect(paused.paused).toMatchObject({ by: 'far', reason: 'request' });
    await waitFor(
      async () =>
        (await other.getExecution(id)).steps[0]!.status === 'succeeded' ? true : undefined,
      { timeoutMs: 15_000, message: 'step one done' },
    );
    await new Promise((r) => setTimeout(r, 1500));
    const held = await other.getExecution(id);
    expect(held.steps.map((s) => s.status)).toEqual(['succeeded', 'pending', 'pending']);
    expect(held.paused).toMatchObject({ by: 'far' });
    const resumed = await other.setPaused(id, { pause: false, by: 'far' });
    expect(resumed.paused).toBeUndefined();
    const done = await other.waitForExecution(id, { timeoutMs: 15_000 });
    expect(done.status).toBe('completed');
    expect(done.node).toBe(record.node);
    expect(done.steps.map((s) => s.attempts)).toEqual([1, 1, 1]);
    await expect(other.setPaused(id, { pause: true })).rejects.toMatchObject({ code: 'conflict' });
  });
});

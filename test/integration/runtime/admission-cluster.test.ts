/**
 * `maxQueuedExecutions` in cluster mode: Stators on the seams of `connectCluster()` sharing one
 * private nats-server and prefix, every engine slot held by a long run so nothing starts.
 * - One node: the 4th execute of a workflow capped at 3 is refused (`queue_full`, HTTP 429)
 *   and leaves no record; a queued run cancelled frees its place at once; once the runs start,
 *   executes are admitted again.
 * - Two nodes: 24 executes at once, split across both, admit exactly the bound between them.
 * - A workflow without the bound is unaffected and leaves nothing in the queued bucket.
 */
import { Kvm } from '@nats-io/kv';
import { jetstream } from '@nats-io/jetstream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { subjectSpace } from '../../../src/bus/index.ts';
import { createHttpApp } from '../../../src/http/index.ts';
import { createStator, type Stator } from '../../../src/index.ts';
import { connectCluster, type ClusterSeams } from '../../../src/runtime/cluster.ts';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const SLOW = { timeout: 60_000 };
const logger = pino({ level: 'silent' });
const CAPPED = { id: 'capped', maxQueuedExecutions: 3, steps: [{ id: 'a', sleep: 20 }] };
const FREE = { id: 'free', steps: [{ id: 'a', sleep: 20 }] };
// Holds its slot until cancelled.
const BLOCK = { id: 'block', steps: [{ id: 'a', sleep: '10m' }] };

interface Node {
  seams: ClusterSeams;
  stator: Stator;
}

let server: NatsServer;
const prefixes: string[] = [];
let open: Node[] = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
}, 30_000);

afterEach(async () => {
  for (const n of open) {
    await n.stator.close();
    await n.seams.close();
  }
  open = [];
});

afterAll(async () => {
  if (server) await deleteClusterStreams(server.url, prefixes);
  await server?.stop();
});

/** A cluster node of one engine slot on `prefix`, with the test workflows registered. */
async function startNode(prefix: string, name: string): Promise<Node> {
  const seams = await connectCluster({ url: server.url, name, prefix, logger });
  const stator = await createStator({
    bus: seams.bus,
    store: seams.store,
    workQueue: seams.workQueue,
    node: name,
    shutdownGraceMs: 0,
    engines: 1,
    slotsPerEngine: 1,
    rateLimit: { ratePerSecond: 0 },
  });
  const node = { seams, stator };
  open.push(node);
  for (const wf of [CAPPED, FREE, BLOCK]) await stator.registerWorkflow(wf);
  return node;
}

function freshPrefix(): string {
  const prefix = uniquePrefix('adm');
  prefixes.push(prefix);
  return prefix;
}

/** Starts `n` blocking runs and waits until each holds a slot. */
async function fillSlots(stator: Stator, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await stator.execute('block')).executionId);
  for (const id of ids) {
    await waitFor(async () => (await stator.getExecution(id)).status === 'running');
  }
  return ids;
}

/** The keys of the deployment's queued bucket. */
async function queuedKeys(node: Node, prefix: string): Promise<string[]> {
  const kv = await new Kvm(jetstream(node.seams.bus.connection)).open(
    subjectSpace(prefix).buckets.queued,
  );
  const keys: string[] = [];
  for await (const k of await kv.keys()) keys.push(k);
  return keys;
}

describe('maxQueuedExecutions in cluster mode', () => {
  it(
    'refuses the 4th waiting run with 429 queue_full, no record; admits again once runs start',
    SLOW,
    async () => {
      const prefix = freshPrefix();
      const node = await startNode(prefix, 'adm-one');
      const { stator } = node;
      const app = createHttpApp({ stator });
      const [blocker] = await fillSlots(stator, 1);
      const accepted = [];
      for (let i = 0; i < 3; i++) {
        accepted.push(
          (await stator.execute('capped', {}, { executionId: `ex_c${i}` })).executionId,
        );
      }
      const res = await app.request('/api/workflows/capped/execute', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ executionId: 'ex_c3' }),
      });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      const { error } = (await res.json()) as { error: Record<string, unknown> };
      expect(error).toMatchObject({
        code: 'queue_full',
        details: { scope: 'workflow', workflowId: 'capped', limit: 3 },
      });
      await expect(stator.getExecution('ex_c3')).rejects.toMatchObject({ code: 'not_found' });
      await expect(stator.execute('capped')).rejects.toMatchObject({ code: 'queue_full' });
      // A queued run cancelled frees its place at once (not when a taker skips it).
      await stator.cancel(accepted[0]!);
      const late = (await stator.execute('capped', {}, { executionId: 'ex_late' })).executionId;
      await expect(stator.execute('capped')).rejects.toMatchObject({ code: 'queue_full' });
      // The slot frees: the waiting runs start (and end), and the workflow admits again.
      await stator.cancel(blocker!);
      for (const id of [...accepted.slice(1), late]) {
        expect((await stator.waitForExecution(id, { timeoutMs: 20_000 })).status).toBe('completed');
      }
      const again = await Promise.all([1, 2, 3].map(() => stator.execute('capped')));
      for (const { executionId } of again) {
        expect((await stator.waitForExecution(executionId, { timeoutMs: 20_000 })).status).toBe(
          'completed',
        );
      }
    },
  );

  it('admits exactly the bound from 24 executes at once split across two nodes', SLOW, async () => {
    const prefix = freshPrefix();
    const a = await startNode(prefix, 'adm-a');
    const b = await startNode(prefix, 'adm-b');
    // One slot per node: two blockers take both (a node without room fetches nothing).
    await fillSlots(a.stator, 2);
    const ids = Array.from({ length: 24 }, (_, i) => `ex_burst_${i}`);
    const answers = await Promise.allSettled(
      ids.map((executionId, i) => (i % 2 ? a : b).stator.execute('capped', {}, { executionId })),
    );
    const accepted = ids.filter((_, i) => answers[i]!.status === 'fulfilled');
    expect(accepted).toHaveLength(3);
    for (const r of answers) {
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'queue_full' });
    }
    const runs = await a.stator.listExecutions({ workflowId: 'capped', limit: 100 });
    expect(runs.items.map((r) => r.id).sort()).toEqual([...accepted].sort());
    // Still full from either node.
    await expect(a.stator.execute('capped')).rejects.toMatchObject({ code: 'queue_full' });
    await expect(b.stator.execute('capped')).rejects.toMatchObject({ code: 'queue_full' });
  });

  it(
    'leaves a workflow without the bound unaffected, with nothing in the bucket',
    SLOW,
    async () => {
      const prefix = freshPrefix();
      const node = await startNode(prefix, 'adm-free');
      await fillSlots(node.stator, 1);
      const ids = await Promise.all(
        Array.from({ length: 10 }, async () => (await node.stator.execute('free')).executionId),
      );
      expect(new Set(ids).size).toBe(10);
      expect(await queuedKeys(node, prefix)).toEqual([]);
      // The capped workflow alongside still has its own bound.
      for (let i = 0; i < 3; i++) await node.stator.execute('capped');
      await expect(node.stator.execute('capped')).rejects.toMatchObject({ code: 'queue_full' });
      expect(await queuedKeys(node, prefix)).toHaveLength(1);
    },
  );
});

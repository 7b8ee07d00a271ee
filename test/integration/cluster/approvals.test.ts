/**
 * Approvals in cluster mode, two nodes on a private nats-server sharing the JetStream store and
 * work queue: `stator.api.execution.approve | reject` and `{"type": "approve" | "reject"}` on
 * `stator.execution.<id>.in` reach the node that holds the run; a decision through the node that
 * does not hold it is forwarded to the one that does; approvers and a second decision are
 * refused over NATS with the same codes as over HTTP (forbidden, conflict).
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator, type Stator } from '../../../src/index.ts';
import { connectCluster, type ClusterSeams } from '../../../src/runtime/cluster.ts';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { RawClient, type ApiReply } from '../../fixtures/cluster/raw-client.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const logger = pino({ level: 'silent' });
const prefix = uniquePrefix('appr');

let server: NatsServer;
let client: RawClient;
const seams: ClusterSeams[] = [];
const nodes: Stator[] = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  for (const name of ['appr-1', 'appr-2']) {
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
  client = await RawClient.connect(server.url, 'approvals-test', prefix);
  await nodes[0]!.registerWorkflow({
    id: 'gated',
    steps: [
      { id: 'gate', approval: { message: 'go?', timeout: '10m', approvers: ['ann', 'ben'] } },
      { id: 'after', needs: ['gate'], noop: true },
    ],
  });
}, 60_000);

afterAll(async () => {
  for (const n of nodes) await n.close({ stopProcesses: true }).catch(() => undefined);
  for (const s of seams) await s.close().catch(() => undefined);
  await client?.close();
  await deleteClusterStreams(server.url, [prefix]);
  await server?.stop();
});

/** Starts a run and waits until it waits; returns it with the index of the node holding it. */
async function waitingRun(): Promise<{ id: string; holder: number }> {
  const { executionId: id } = await nodes[0]!.execute('gated');
  const record = await waitFor(
    async () => {
      const r = await nodes[0]!.getExecution(id);
      return r.status === 'awaiting_approval' ? r : undefined;
    },
    { timeoutMs: 15_000, message: 'run awaiting approval' },
  );
  return { id, holder: record.node === 'appr-1' ? 0 : 1 };
}

type Decided = ApiReply<{ approved: boolean; by: string; stepId: string }>;

describe('cluster: approvals', () => {
  it('stator.api.execution.approve decides; refusals keep their codes', async () => {
    const { id } = await waitingRun();
    expect(await client.api('execution.approve', { id, by: 'eve' })).toMatchObject({
      ok: false,
      error: { code: 'forbidden' },
    });
    const ok = await client.api<Decided>('execution.approve', { id, by: 'ann', comment: 'yes' });
    expect(ok).toMatchObject({ ok: true, data: { approved: true, by: 'ann', stepId: 'gate' } });
    expect(await client.api('execution.reject', { id, by: 'ben' })).toMatchObject({
      ok: false,
      error: { code: 'conflict', message: expect.stringContaining("approved by 'ann'") },
    });
    const done = await nodes[0]!.waitForExecution(id, { timeoutMs: 15_000 });
    expect(done.status).toBe('completed');
    expect(done.steps[0]!.approval?.decision).toMatchObject({ by: 'ann', comment: 'yes' });
    expect(await client.api('execution.approve', { id: 'ex_nope', by: 'ann' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
  });

  it('{"type":"approve"} and {"type":"reject"} on the run\'s .in subject', async () => {
    const a = await waitingRun();
    const approved = await client.request<Decided>(client.subject('execution', a.id, 'in'), {
      type: 'approve',
      by: 'ben',
    });
    expect(approved).toMatchObject({ ok: true, data: { approved: true, by: 'ben' } });
    expect((await nodes[0]!.waitForExecution(a.id, { timeoutMs: 15_000 })).status).toBe(
      'completed',
    );
    const b = await waitingRun();
    const rejected = await client.request<Decided>(client.subject('execution', b.id, 'in'), {
      type: 'reject',
      by: 'ann',
      comment: 'no',
    });
    expect(rejected).toMatchObject({ ok: true, data: { approved: false, by: 'ann' } });
    const failed = await nodes[0]!.waitForExecution(b.id, { timeoutMs: 15_000 });
    expect(failed.status).toBe('failed');
    expect(failed.steps[1]!.status).toBe('skipped');
  });

  it('a decision through the node that does not hold the run reaches its holder', async () => {
    const { id, holder } = await waitingRun();
    const other = nodes[1 - holder]!;
    // Listed by both nodes (from the shared store).
    for (const node of nodes) {
      expect((await node.approvals.list()).map((a) => a.executionId)).toContain(id);
    }
    // A hostile comment on the run's .in subject is refused, changing nothing.
    const big = await client.request<Decided>(client.subject('execution', id, 'in'), {
      type: 'approve',
      by: 'ann',
      comment: 'x'.repeat(100_000),
    });
    expect(big).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
    const answer = await other.approvals.decide(id, { approved: true, by: 'ann' });
    expect(answer).toMatchObject({ executionId: id, approved: true, by: 'ann' });
    const done = await other.waitForExecution(id, { timeoutMs: 15_000 });
    expect(done.status).toBe('completed');
    expect(done.node).toBe(holder === 0 ? 'appr-1' : 'appr-2');
    expect(await other.approvals.list()).toEqual([]);
  });
});

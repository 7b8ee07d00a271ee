/**
 * One in-process Stator on the cluster seams of `connectCluster()` (NATS bus, JetStream store,
 * JetStream work queue, event stream): a diamond run completes and its record, logs and events
 * come back from JetStream; a second Stator on the same prefix reads the same records and takes
 * over a run the first one left unfinished.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { subjectSpace } from '../../../src/bus/index.ts';
import { createStator, type Stator, type StatorOptions } from '../../../src/index.ts';
import { connectCluster, type ClusterSeams } from '../../../src/runtime/cluster.ts';
import { createJetStreamStore, storeNames } from '../../../src/store/index.ts';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { DIAMOND_WORKFLOW } from '../../fixtures/runtime/workflows.ts';
import { SLOW_WORKFLOW } from '../../fixtures/cluster/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const SLOW = { timeout: 60_000 };
const logger = pino({ level: 'silent' });

/** a, then b: b sleeps on its first attempt and may be retried once. */
const RESUMABLE = {
  id: 'resumable',
  steps: [
    { id: 'a', run: 'echo a' },
    {
      id: 'b',
      needs: ['a'],
      retry: { attempts: 2, backoff: '10ms' },
      run: 'if [ "$STATOR_ATTEMPT" -ge 2 ]; then echo resumed; else exec sleep 30; fi',
    },
  ],
};

interface ClusterStator {
  seams: ClusterSeams;
  stator: Stator;
  close(): Promise<void>;
}

let server: NatsServer;
let nc: NatsConnection;
const prefixes: string[] = [];
const open: ClusterStator[] = [];

async function startClusterStator(
  prefix: string,
  node: string,
  options: Pick<StatorOptions, 'engines' | 'slotsPerEngine'> = {},
): Promise<ClusterStator> {
  const seams = await connectCluster({ url: server.url, name: node, prefix, logger });
  const stator = await createStator({
    bus: seams.bus,
    store: seams.store,
    workQueue: seams.workQueue,
    node,
    shutdownGraceMs: 0,
    ...options,
  });
  let closing: Promise<void> | undefined;
  const handle = {
    seams,
    stator,
    close: () =>
      (closing ??= (async () => {
        await stator.close();
        await seams.close();
      })()),
  };
  open.push(handle);
  return handle;
}

function freshPrefix(): string {
  const prefix = uniquePrefix('jss');
  prefixes.push(prefix);
  return prefix;
}

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  nc = await connect({ servers: server.url, name: 'jetstream-stator-test' });
}, 30_000);

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  await deleteClusterStreams(server.url, prefixes.splice(0));
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe('cluster: a Stator on JetStream', () => {
  it('runs a diamond whose record, logs and events come back from JetStream', SLOW, async () => {
    const prefix = freshPrefix();
    const first = await startClusterStator(prefix, 'js-1');
    expect((await first.stator.health()).mode).toBe('cluster');
    await first.stator.registerWorkflow(DIAMOND_WORKFLOW);
    const { executionId } = await first.stator.execute('diamond');
    const record = await first.stator.waitForExecution(executionId, { timeoutMs: 30_000 });
    expect(record).toMatchObject({ status: 'completed', node: 'js-1', error: null });
    expect(record.steps.map((s) => [s.id, s.status, s.attempts])).toEqual([
      ['a', 'succeeded', 1],
      ['b', 'succeeded', 1],
      ['c', 'succeeded', 1],
      ['d', 'succeeded', 1],
    ]);
    const logs = await first.stator.logs(executionId);
    expect(logs).toBe('a stdout | a\nd stdout | d\n');

    // An independent store instance on its own connection reads the same record and logs.
    const reader = await createJetStreamStore({ connection: nc, prefix });
    try {
      expect(await reader.getExecution(executionId)).toEqual(record);
      const stored = await reader.getLogs(executionId);
      expect(stored.lines.map((l) => `${l.stepId} ${l.line}`)).toEqual(['a a', 'd d']);
    } finally {
      await reader.close();
    }

    // The event stream kept the run's events, the final one last.
    const jsm = await jetstreamManager(nc);
    const events = storeNames(prefix).streams.events;
    const last = await jsm.streams.getMessage(events, {
      last_by_subj: subjectSpace(prefix).actorOut('execution', executionId),
    });
    expect(last?.json<{ type: string }>()).toMatchObject({
      type: 'execution.completed',
      executionId,
    });
    expect((await jsm.streams.info(events)).state.messages).toBeGreaterThanOrEqual(10);
  });

  it('a second Stator on the same prefix reads the same records and runs again', SLOW, async () => {
    const prefix = freshPrefix();
    const first = await startClusterStator(prefix, 'js-1');
    await first.stator.registerWorkflow(DIAMOND_WORKFLOW);
    const { executionId } = await first.stator.execute('diamond', { who: 'first' });
    const record = await first.stator.waitForExecution(executionId, { timeoutMs: 30_000 });
    const logs = await first.stator.logs(executionId);
    await first.close();

    const second = await startClusterStator(prefix, 'js-2');
    expect(await second.stator.getExecution(executionId)).toEqual(record);
    expect(await second.stator.logs(executionId)).toBe(logs);
    expect((await second.stator.getWorkflow('diamond')).version).toBe(1);
    const page = await second.stator.listExecutions({ workflowId: 'diamond' });
    expect(page.items.map((e) => e.id)).toEqual([executionId]);

    const again = await second.stator.execute('diamond');
    const rerun = await second.stator.waitForExecution(again.executionId, { timeoutMs: 30_000 });
    expect(rerun).toMatchObject({ status: 'completed', node: 'js-2' });
    const both = await second.stator.listExecutions({ workflowId: 'diamond', status: 'completed' });
    expect(both.items.map((e) => e.id).sort()).toEqual([executionId, again.executionId].sort());
  });

  it('a run left unfinished by a closed Stator is taken over by the next one', SLOW, async () => {
    const prefix = freshPrefix();
    const first = await startClusterStator(prefix, 'js-1');
    await first.stator.registerWorkflow(RESUMABLE);
    const bStarted = new Promise<void>((resolve) =>
      first.stator.subscribe((e) => e.type === 'step.started' && e.stepId === 'b' && resolve(), {
        filter: { type: 'step.started' },
      }),
    );
    const { executionId } = await first.stator.execute('resumable');
    await bStarted;
    await first.close();
    // Left unfinished in the store: b was running when its process stopped.
    const reader = await createJetStreamStore({ connection: nc, prefix });
    try {
      const left = await reader.getExecution(executionId);
      expect(left?.status).toBe('running');
      expect(left?.steps.map((s) => s.status)).toEqual(['succeeded', 'running']);
    } finally {
      await reader.close();
    }

    const second = await startClusterStator(prefix, 'js-2');
    const record = await second.stator.waitForExecution(executionId, { timeoutMs: 30_000 });
    expect(record).toMatchObject({ status: 'completed', node: 'js-2' });
    expect(record.steps.map((s) => [s.id, s.status, s.attempts])).toEqual([
      ['a', 'succeeded', 1],
      ['b', 'succeeded', 2],
    ]);
    expect(await second.stator.logs(executionId)).toBe('a stdout | a\nb stdout | resumed\n');
  });

  it('health counts the requests no engine has taken: none when idle', SLOW, async () => {
    const node = await startClusterStator(freshPrefix(), 'js-q', { engines: 1, slotsPerEngine: 1 });
    const queued = async () => (await node.stator.health()).engines.map((e) => e.queued);
    await node.stator.registerWorkflow(DIAMOND_WORKFLOW);
    const first = await node.stator.execute('diamond');
    await node.stator.waitForExecution(first.executionId, { timeoutMs: 30_000 });
    expect(await queued()).toEqual([0]);

    // One slot: the first slow run takes it, the other two wait in the stream.
    await node.stator.registerWorkflow(SLOW_WORKFLOW);
    const slow = [];
    for (let i = 0; i < 3; i++) slow.push((await node.stator.execute('slow')).executionId);
    await waitFor(async () => (await queued())[0] === 2, { message: 'two requests queued' });
    // The waiting ones first: their requests are then skipped when the slot frees.
    for (const id of slow.toReversed()) await node.stator.cancel(id);
    for (const id of slow) await node.stator.waitForExecution(id, { timeoutMs: 30_000 });
    await waitFor(async () => (await queued())[0] === 0, { message: 'nothing queued' });
    expect(await queued()).toEqual([0]);
  });

  it(
    'two services with different prefixes share one server, each with its own records',
    SLOW,
    async () => {
      const one = await startClusterStator(freshPrefix(), 'svc-1');
      const two = await startClusterStator(freshPrefix(), 'svc-2');
      await one.stator.registerWorkflow(DIAMOND_WORKFLOW);
      const { executionId } = await one.stator.execute('diamond');
      expect((await one.stator.waitForExecution(executionId, { timeoutMs: 30_000 })).status).toBe(
        'completed',
      );
      expect((await two.stator.listExecutions()).items).toEqual([]);
      expect((await two.stator.listWorkflows()).items).toEqual([]);
    },
  );
});

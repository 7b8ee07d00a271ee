/**
 * Retry in cluster mode (NATS bus, JetStream store and work queue), two nodes: a run that failed
 * is retried through the other node; the retry run (taken by either node from the shared queue)
 * keeps the step that succeeded — its record, `reused`, and its outputs for the step that runs
 * again — and its `retryOf` link round-trips through JetStream; one Idempotency-Key sent to both
 * nodes at once makes one retry run.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStator, type Stator } from '../../../src/index.ts';
import { connectCluster } from '../../../src/runtime/cluster.ts';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';

const logger = pino({ level: 'silent' });
let server: NatsServer;
let dir: string;
const prefixes: string[] = [];
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  dir = await mkdtemp(join(tmpdir(), 'stator-retry-cluster-'));
}, 30_000);

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await deleteClusterStreams(server.url, prefixes.splice(0));
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function node(name: string, prefix: string): Promise<Stator> {
  const seams = await connectCluster({ url: server.url, name, prefix, logger });
  closers.push(() => seams.close());
  const stator = await createStator({
    bus: seams.bus,
    store: seams.store,
    workQueue: seams.workQueue,
    node: name,
    shutdownGraceMs: 0,
    processHost: false,
  });
  closers.push(() => stator.close({ stopProcesses: true }));
  return stator;
}

describe('cluster: retry', () => {
  it('keeps what succeeded across nodes; one run per key', { timeout: 60_000 }, async () => {
    const prefix = uniquePrefix('rt');
    prefixes.push(prefix);
    const [a, b] = [await node('rt-1', prefix), await node('rt-2', prefix)];
    await a.registerWorkflow({
      id: 'pair',
      steps: [
        { id: 'first', run: `echo first >> '${dir}/trace'; echo "token=t-$$" >> "$STATOR_OUTPUT"` },
        {
          id: 'second',
          needs: ['first'],
          run: `echo "second $STEPS_FIRST_TOKEN" >> '${dir}/trace'; test -f '${dir}/marker'`,
        },
      ],
    });
    const { executionId: old } = await a.execute('pair');
    const failed = await a.waitForExecution(old, { timeoutMs: 30_000 });
    expect(failed.status).toBe('failed');
    await writeFile(join(dir, 'marker'), '');
    const answers = await Promise.all([
      a.retry(old, { idempotencyKey: 'c-1' }),
      b.retry(old, { idempotencyKey: 'c-1' }),
      b.retry(old, { idempotencyKey: 'c-1' }),
    ]);
    const id = answers[0].executionId;
    expect(answers.every((r) => r.executionId === id && r.retryOf === old)).toBe(true);
    expect(answers.filter((r) => r.replayed !== true)).toHaveLength(1);
    const record = await b.waitForExecution(id, { timeoutMs: 30_000 });
    expect(record.status).toBe('completed');
    expect(record.retryOf).toBe(old);
    expect(record.steps[0]).toEqual({ ...failed.steps[0], reused: true });
    const token = (failed.steps[0]!.outputs as { token: string }).token;
    expect((await readFile(join(dir, 'trace'), 'utf8')).split('\n')).toEqual([
      'first',
      `second ${token}`,
      `second ${token}`,
      '',
    ]);
    const listed = await a.listExecutions({ workflowId: 'pair' });
    expect(listed.items.filter((e) => e.retryOf === old).map((e) => e.id)).toEqual([id]);
  });
});

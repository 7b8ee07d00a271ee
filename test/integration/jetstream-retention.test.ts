/**
 * Pruning on JetStream beyond the shared conformance cases: nothing of a pruned run is left in
 * any bucket or stream (no delete markers either), and runs that finished before `done` index
 * entries existed are found by the backfill.
 */
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.ts';
import {
  createJetStreamStore,
  storeNames,
  type ExecutionRecord,
  type Store,
} from '../../src/store/index.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../helpers/nats-server.ts';

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
const prefixes: string[] = [];
const stores: Store[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  for (const s of stores) await s.close();
  for (const prefix of prefixes) {
    for (const stream of streamsOf(prefix)) await jsm.streams.delete(stream).catch(() => false);
  }
  await nc?.close();
  await server?.stop();
});

/** Every stream of a store prefix: the KV buckets' and the logs stream. */
function streamsOf(prefix: string): string[] {
  const names = storeNames(prefix);
  return [...Object.values(names.buckets).map((b) => `KV_${b}`), names.streams.logs];
}

async function open(prefix: string): Promise<Store> {
  const store = await createJetStreamStore({ connection: nc, prefix, maxLogLinesPerStep: 3 });
  stores.push(store);
  return store;
}

function freshPrefix(): string {
  const prefix = uniquePrefix('ret');
  prefixes.push(prefix);
  return prefix;
}

/** A run of workflow `w` with steps `a` and `b` that finished at `finishedAt`. */
function finishedRun(finishedAt: string): ExecutionRecord {
  const step = (id: string) => ({
    id,
    status: 'succeeded' as const,
    attempts: 1,
    exitCode: 0,
    startedAt: finishedAt,
    finishedAt,
    error: null,
  });
  const noop = (id: string) => ({
    id,
    kind: 'noop' as const,
    needs: [],
    retry: { attempts: 1, backoffMs: 1000, factor: 2, maxMs: 300_000, jitter: 0 },
    env: {},
    continueOnError: false,
  });
  return {
    id: newId('ex'),
    workflowId: 'w',
    status: 'running',
    input: { n: 1 },
    createdAt: finishedAt,
    startedAt: finishedAt,
    finishedAt: null,
    error: null,
    engineId: null,
    node: null,
    definition: { id: 'w', env: {}, concurrency: 4, steps: [noop('a'), noop('b')] },
    steps: [step('a'), step('b')],
  };
}

/** Creates the run, logs lines (more than the bound) and finishes it. */
async function runToEnd(store: Store, run: ExecutionRecord): Promise<void> {
  await store.createExecution(run);
  const line = (stepId: string, i: number) => ({
    stepId,
    stream: 'stdout' as const,
    line: `${stepId}-${i}`,
    ts: run.createdAt,
  });
  await store.appendLogs(
    run.id,
    [0, 1, 2, 3, 4].map((i) => line('a', i)),
  );
  await store.appendLogs(run.id, [line('b', 0)]);
  await store.updateExecution(run.id, { status: 'completed', finishedAt: run.createdAt });
}

/** Messages left in every stream of `prefix`, by stream. */
async function messagesLeft(prefix: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const stream of streamsOf(prefix)) {
    out[stream] = (await jsm.streams.info(stream)).state.messages;
  }
  return out;
}

describe('jetstream store: retention', () => {
  it('leaves nothing of a pruned run in any bucket or stream', async () => {
    const prefix = freshPrefix();
    const store = await open(prefix);
    const runs = ['2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z'].map(finishedRun);
    for (const run of runs) await runToEnd(store, run);
    const before = await messagesLeft(prefix);
    expect(before[`KV_${prefix}_steps`]).toBe(4);
    expect(before[`${prefix}_logs`]).toBe(8);

    expect(await store.pruneExecutions({ keepNewest: 0, limit: 10 })).toBe(2);

    const after = await messagesLeft(prefix);
    expect(Object.values(after).every((n) => n === 0)).toBe(true);
  });

  it('prunes runs that finished before done entries existed (backfill)', async () => {
    const prefix = freshPrefix();
    const writer = await open(prefix);
    const legacy = finishedRun('2026-01-01T00:00:00.000Z');
    await runToEnd(writer, legacy);
    const index = `KV_${storeNames(prefix).buckets.index}`;
    // As a store of an earlier version left it: no done entry.
    await jsm.streams.purge(index, { filter: `$KV.${storeNames(prefix).buckets.index}.done.>` });

    const pruner = await open(prefix);
    expect(
      await pruner.pruneExecutions({ finishedBefore: '2026-06-01T00:00:00Z', limit: 10 }),
    ).toBe(1);
    expect(await writer.getExecution(legacy.id)).toBeUndefined();
    expect(Object.values(await messagesLeft(prefix)).every((n) => n === 0)).toBe(true);
  });
});

/**
 * Issue 10: reading a run back (getExecution, which adoption calls) costs the same with a long
 * history as with none. Each store here talks through its own connection whose requests and
 * subscriptions are counted: a read must create no consumer, open no subscription (a scan of a
 * KV stream, `kv.keys()` included, needs both) and make as many requests after 300 finished
 * runs as before them, both in the process that created the run and in another one.
 */
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/ids.ts';
import {
  createJetStreamStore,
  storeNames,
  toToken,
  type ExecutionRecord,
  type StepRecord,
  type Store,
} from '../../src/store/index.ts';
import type { WorkflowDefinition } from '../../src/workflow/types.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../helpers/nats-server.ts';

const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-01T00:00:01.000Z';
const HISTORY = 300;

/** What one connection asked of the server. */
interface Counts {
  requests: number;
  consumerCreates: number;
  subscriptions: number;
}

let server: NatsServer;
const connections: NatsConnection[] = [];

beforeAll(async () => {
  server = await startNatsServer();
});

afterAll(async () => {
  for (const c of connections) await c.close();
  await server?.stop();
});

/** A connection whose requests and subscriptions are counted from now on. */
async function countedConnection(): Promise<{ nc: NatsConnection; counts: Counts }> {
  const nc = await connect({ servers: server.url });
  connections.push(nc);
  const counts: Counts = { requests: 0, consumerCreates: 0, subscriptions: 0 };
  const request = nc.request.bind(nc);
  const subscribe = nc.subscribe.bind(nc);
  nc.request = (subject, ...rest) => {
    counts.requests++;
    if (subject.startsWith('$JS.API.CONSUMER.CREATE')) counts.consumerCreates++;
    return request(subject, ...rest);
  };
  nc.subscribe = (subject, ...rest) => {
    // The request inbox is shared by every request: only other subscriptions are reads.
    if (!subject.startsWith('_INBOX.')) counts.subscriptions++;
    return subscribe(subject, ...rest);
  };
  return { nc, counts };
}

/** Runs `fn` and returns what it cost on `counts`. */
async function cost(counts: Counts, fn: () => Promise<unknown>): Promise<Counts> {
  const before = { ...counts };
  await fn();
  return {
    requests: counts.requests - before.requests,
    consumerCreates: counts.consumerCreates - before.consumerCreates,
    subscriptions: counts.subscriptions - before.subscriptions,
  };
}

function definition(id: string, stepIds: string[]): WorkflowDefinition {
  const retry = { attempts: 1, backoffMs: 1000, factor: 2, maxMs: 300_000, jitter: 0 };
  return {
    id,
    env: {},
    concurrency: 4,
    steps: stepIds.map((s) => ({
      id: s,
      kind: 'noop',
      needs: [],
      retry,
      env: {},
      continueOnError: false,
    })),
  };
}

function pending(id: string): StepRecord {
  const times = { startedAt: null, finishedAt: null };
  return { id, status: 'pending', attempts: 0, exitCode: null, ...times, error: null };
}

function execution(stepIds: string[]): ExecutionRecord {
  return {
    id: newId('ex'),
    workflowId: 'w',
    status: 'pending',
    input: {},
    createdAt: T0,
    startedAt: null,
    finishedAt: null,
    error: null,
    engineId: null,
    node: null,
    definition: definition('w', stepIds),
    steps: stepIds.map(pending),
  };
}

/** One run as the runtime writes it: created, started, every step run, completed. */
async function finishedRun(store: Store): Promise<void> {
  const ex = execution(['a', 'b', 'c']);
  await store.createExecution(ex);
  await store.updateExecution(ex.id, { status: 'running', startedAt: T0 });
  for (const s of ex.steps) {
    await store.putStep(ex.id, { ...s, status: 'succeeded', attempts: 1, finishedAt: T1 });
  }
  await store.updateExecution(ex.id, { status: 'completed', finishedAt: T1 });
}

describe('jetstream store: cost of reading a run does not grow with history', () => {
  it(
    'reads a run by key, in its creator and in another process, before and after 300 runs',
    { timeout: 120_000 },
    async () => {
      const prefix = uniquePrefix('hist');
      const creator = await countedConnection();
      const other = await countedConnection();
      const a = await createJetStreamStore({ connection: creator.nc, prefix });
      const b = await createJetStreamStore({ connection: other.nc, prefix });
      const writer = await createJetStreamStore({
        connection: (await countedConnection()).nc,
        prefix,
      });

      /** Creates a 3-step run on `a`, then reads it in `a` and in `b`. */
      const probe = async () => {
        const ex = execution(['a', 'b', 'c']);
        await a.createExecution(ex);
        let here: ExecutionRecord | undefined;
        let there: ExecutionRecord | undefined;
        const inCreator = await cost(creator.counts, async () => {
          here = await a.getExecution(ex.id);
        });
        const inOther = await cost(other.counts, async () => {
          there = await b.getExecution(ex.id);
        });
        expect(here).toEqual(ex);
        expect(there).toEqual(ex);
        // A step added later is found by key too, in both processes.
        await b.putStep(ex.id, { ...pending('late'), status: 'succeeded', attempts: 1 });
        const late = await cost(creator.counts, async () => {
          here = await a.getExecution(ex.id);
        });
        expect(here!.steps.map((s) => s.id)).toEqual(['a', 'b', 'c', 'late']);
        return { inCreator, inOther, late };
      };

      const fresh = await probe();
      for (let i = 0; i < HISTORY; i += 25) {
        await Promise.all(Array.from({ length: 25 }, () => finishedRun(writer)));
      }
      const aged = await probe();

      for (const c of [fresh.inCreator, fresh.inOther, fresh.late]) {
        expect(c).toMatchObject({ consumerCreates: 0, subscriptions: 0 });
      }
      expect(aged).toEqual(fresh);
      // The creator's read is one wave: the summary and the three steps it wrote.
      expect(fresh.inCreator.requests).toBe(4);
      await Promise.all([a.close(), b.close(), writer.close()]);
    },
  );

  it('still reads a run stored before step keys existed (with a scan, which the counts see)', async () => {
    const prefix = uniquePrefix('hist');
    const writer = await createJetStreamStore({
      connection: (await countedConnection()).nc,
      prefix,
    });
    const ex = execution(['x', 'y']);
    await writer.createExecution(ex);
    // The previous version wrote every step at creation, and no `stepKeys` in the summary.
    await writer.putStep(ex.id, pending('x'));
    await writer.putStep(ex.id, { ...pending('y'), status: 'running', attempts: 1 });
    const kvNc = (await countedConnection()).nc;
    const kv = await new Kvm(kvNc).open(storeNames(prefix).buckets.executions);
    const key = toToken(ex.id);
    const entry = await kv.get(key);
    const { stepKeys: _dropped, ...legacy } = entry!.json<Record<string, unknown>>();
    await kv.put(key, JSON.stringify(legacy));

    const reader = await countedConnection();
    const store = await createJetStreamStore({ connection: reader.nc, prefix });
    let got: ExecutionRecord | undefined;
    const scanned = await cost(reader.counts, async () => {
      got = await store.getExecution(ex.id);
    });
    expect(got!.steps).toEqual([pending('x'), { ...pending('y'), status: 'running', attempts: 1 }]);
    // What the counts catch if a read ever scans again.
    expect(scanned.consumerCreates).toBe(1);
    await Promise.all([writer.close(), store.close()]);
  });
});

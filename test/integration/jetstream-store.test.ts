import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjectSpace } from '../../src/bus/subjects.ts';
import { newId } from '../../src/ids.ts';
import {
  createJetStreamStore,
  ensureEventStream,
  fromToken,
  IDEMPOTENCY_BUCKET_MAX_AGE_MS,
  resolveEventStreamOptions,
  resolveJetStreamStoreOptions,
  storeNames,
  toToken,
  type ExecutionRecord,
  type StepRecord,
  type Store,
  type StoreLimits,
  type WorkflowRecord,
} from '../../src/store/index.ts';
import type { WorkflowDefinition } from '../../src/workflow/types.ts';
import { runStoreConformance } from '../conformance/store.case.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../helpers/nats-server.ts';
import { rejection } from '../helpers/poll.ts';

/** Names of the default deployment (prefix `stator`), which these tests run as. */
const { actorWildcard } = subjectSpace();

let server: NatsServer;
let nc: NatsConnection;
let jsm: JetStreamManager;
/** Every prefix a test used: their buckets and streams are deleted after the file. */
const prefixes: string[] = [];
const connections: NatsConnection[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connect({ servers: server.url });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  if (jsm !== undefined) {
    for (const prefix of prefixes) {
      const names = storeNames(prefix);
      const streams = [
        ...Object.values(names.buckets).map((b) => `KV_${b}`),
        ...Object.values(names.streams),
      ];
      for (const s of streams) await jsm.streams.delete(s).catch(() => false);
    }
  }
  for (const c of connections) await c.close();
  await nc?.close();
  await server?.stop();
});

function freshPrefix(): string {
  const prefix = uniquePrefix('js');
  prefixes.push(prefix);
  return prefix;
}

const limitsOf = new WeakMap<Store, { prefix: string; limits?: Partial<StoreLimits> }>();

async function open(prefix: string, limits?: Partial<StoreLimits>, connection = nc) {
  const store = await createJetStreamStore({ connection, prefix, ...limits });
  limitsOf.set(store, { prefix, limits });
  return store;
}

runStoreConformance({
  name: 'jetstream',
  create: (limits) => open(freshPrefix(), limits),
  reopen: async (old) => {
    const { prefix, limits } = limitsOf.get(old)!;
    await old.close();
    return open(prefix, limits);
  },
});

const T0 = '2026-01-01T00:00:00.000Z';

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

function execution(workflowId: string, stepIds: string[]): ExecutionRecord {
  return {
    id: newId('ex'),
    workflowId,
    status: 'pending',
    input: {},
    createdAt: T0,
    startedAt: null,
    finishedAt: null,
    error: null,
    engineId: null,
    node: null,
    definition: definition(workflowId, stepIds),
    steps: stepIds.map(pending),
  };
}

/** A second connection, as a second process would have. */
async function secondConnection(): Promise<NatsConnection> {
  const c = await connect({ servers: server.url });
  connections.push(c);
  return c;
}

describe('jetstream store: concurrent writers', () => {
  it('re-reads on a revision conflict and keeps the other writer’s fields', async () => {
    const prefix = freshPrefix();
    const a = await open(prefix);
    const b = await open(prefix, undefined, await secondConnection());
    const ex = execution('w', ['s']);
    await a.createExecution(ex);
    // b remembers revision r1; a's cached revision (from create) is then stale: both conflict.
    await b.updateExecution(ex.id, { node: 'n1' });
    await a.updateExecution(ex.id, { engineId: 'e1' });
    await b.updateExecution(ex.id, { status: 'running' });
    const got = await a.getExecution(ex.id);
    expect(got).toMatchObject({ node: 'n1', engineId: 'e1', status: 'running' });
    await a.close();
    await b.close();
  });

  it('fails with a recoverable conflict once the attempts are used up', async () => {
    const prefix = freshPrefix();
    const a = await open(prefix);
    const b = await createJetStreamStore({
      connection: await secondConnection(),
      prefix,
      maxUpdateAttempts: 1,
    });
    const ex = execution('w', ['s']);
    await a.createExecution(ex);
    await b.updateExecution(ex.id, { node: 'n1' });
    await a.updateExecution(ex.id, { engineId: 'e1' });
    const err = await rejection(b.updateExecution(ex.id, { status: 'running' }));
    expect(err).toMatchObject({ code: 'conflict', recoverable: true });
    expect((await a.getExecution(ex.id))!.status).toBe('pending');
    await a.close();
    await b.close();
  });

  it(
    'loses no field, step or log line under two concurrent writers',
    { timeout: 60_000 },
    async () => {
      const prefix = freshPrefix();
      const limits = { maxLogLinesPerStep: 5 };
      const a = await open(prefix, limits);
      const b = await open(prefix, limits, await secondConnection());
      const ex = execution('w', ['first']);
      await a.createExecution(ex);
      const n = 25;
      const writer = async (store: Store, tag: 'a' | 'b') => {
        for (let i = 0; i < n; i++) {
          await store.updateExecution(
            ex.id,
            tag === 'a' ? { engineId: `e${i}` } : { node: `n${i}` },
          );
          await store.putStep(ex.id, { ...pending(`${tag}${i}`), status: 'succeeded' });
          await store.appendLogs(ex.id, [
            { stepId: 'shared', stream: 'stdout', line: tag, ts: T0 },
          ]);
        }
      };
      await Promise.all([writer(a, 'a'), writer(b, 'b')]);
      const got = (await a.getExecution(ex.id))!;
      expect(got.engineId).toBe(`e${n - 1}`);
      expect(got.node).toBe(`n${n - 1}`);
      expect(got.steps).toHaveLength(1 + 2 * n);
      expect(got.steps[0]!.id).toBe('first');
      const order = (tag: string) => got.steps.map((s) => s.id).filter((id) => id.startsWith(tag));
      expect(order('a')).toEqual(Array.from({ length: n }, (_, i) => `a${i}`));
      expect(order('b')).toEqual(Array.from({ length: n }, (_, i) => `b${i}`));
      const logs = await b.getLogs(ex.id);
      expect(logs.lines).toHaveLength(5);
      expect(logs.truncated).toEqual({ shared: 2 * n - 5 });
      await a.close();
      await b.close();
    },
  );
});

describe('jetstream store: reopening and names', () => {
  it('a second store object on the same prefix sees the data; close keeps the connection', async () => {
    const prefix = freshPrefix();
    const first = await open(prefix);
    const wf: WorkflowRecord = {
      id: 'w',
      definition: definition('w', ['a']),
      version: 1,
      createdAt: T0,
      updatedAt: T0,
    };
    await first.putWorkflow(wf);
    const ex = execution('w', ['a', 'b']);
    await first.createExecution(ex);
    const second = await open(prefix);
    expect(await second.getWorkflow('w')).toEqual(wf);
    expect(await second.getExecution(ex.id)).toEqual(ex);
    await second.putStep(ex.id, { ...pending('b'), status: 'running', attempts: 1 });
    expect((await first.getExecution(ex.id))!.steps[1]).toMatchObject({ status: 'running' });
    await first.close();
    await second.close();
    expect(nc.isClosed()).toBe(false);
    const other = await open(freshPrefix());
    expect(await other.getExecution(ex.id)).toBeUndefined();
    await other.close();
  });

  it('stores ids that are not subject tokens under reversible tokens', async () => {
    expect(toToken('build-1_x')).toBe('build-1_x');
    for (const id of ['a.b', 'with space', '*', '>', '=x', 'ünï']) {
      expect(toToken(id)).toMatch(/^=[A-Za-z0-9_-]+$/);
      expect(fromToken(toToken(id))).toBe(id);
    }
    const store = await open(freshPrefix(), { maxLogLinesPerStep: 2 });
    const ex = execution('w.x', ['a.b', 'c d']);
    await store.createExecution(ex);
    await store.putStep(ex.id, { ...pending('c d'), status: 'succeeded' });
    const line = (stepId: string, i: number) => ({
      stepId,
      stream: 'stdout' as const,
      line: `${i}`,
      ts: T0,
    });
    await store.appendLogs(ex.id, [line('a.b', 0), line('c d', 0), line('a.b', 1), line('a.b', 2)]);
    const got = await store.getExecution(ex.id);
    expect(got!.steps.map((s) => [s.id, s.status])).toEqual([
      ['a.b', 'pending'],
      ['c d', 'succeeded'],
    ]);
    expect(await store.getLogs(ex.id, { stepId: 'a.b' })).toEqual({
      lines: [line('a.b', 1), line('a.b', 2)],
      truncated: { 'a.b': 1 },
    });
    expect((await store.listExecutions({ workflowId: 'w.x' })).items.map((e) => e.id)).toEqual([
      ex.id,
    ]);
    await store.close();
  });

  it('validates names and options, naming the field', () => {
    expect(storeNames('p1').buckets.executions).toBe('p1_executions');
    expect(() => storeNames('a.b')).toThrow(/prefix/);
    expect(() => storeNames('')).toThrow(/prefix/);
    expect(() => resolveJetStreamStoreOptions({ connection: nc, replicas: 0 })).toThrow(/replicas/);
    expect(() => resolveJetStreamStoreOptions({ connection: nc, maxLineLength: 0 })).toThrow(
      /maxLineLength/,
    );
    expect(() =>
      resolveJetStreamStoreOptions({ connection: nc, maxValueBytes: 2_000_000 }, 1024 * 1024),
    ).toThrow(/maxValueBytes/);
    const o = resolveJetStreamStoreOptions({ connection: nc }, 1024 * 1024);
    expect(o).toMatchObject({
      prefix: 'stator',
      replicas: 1,
      storage: 'file',
      maxValueBytes: 512 * 1024,
      maxLogLinesPerStep: 1000,
      maxLineLength: 8192,
    });
    expect(resolveJetStreamStoreOptions({ connection: nc }, 64 * 1024).maxValueBytes).toBeLessThan(
      64 * 1024,
    );
  });
});

describe('jetstream store: idempotency claims across processes', () => {
  it('lets one of many claims from two connections create a key', async () => {
    const prefix = freshPrefix();
    const a = await open(prefix);
    const b = await open(prefix, undefined, await secondConnection());
    const claimOf = (store: Store, key: string, createdAt: string, expiresAt: string) =>
      store.claimIdempotencyKey({
        scope: 'hook:deploy',
        key,
        executionId: newId('ex'),
        createdAt,
        expiresAt,
      });
    const race = async (key: string, createdAt: string, expiresAt: string) => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => claimOf(i % 2 ? a : b, key, createdAt, expiresAt)),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      const won = results.find((r) => r.created)!.claim;
      for (const r of results) expect(r.claim).toEqual(won);
      return won;
    };
    const first = await race('k', T0, '2026-01-01T01:00:00.000Z');
    // Once expired, many replacers race again: one wins, everyone sees its claim.
    const second = await race('k', '2026-01-01T02:00:00.000Z', '2026-01-01T03:00:00.000Z');
    expect(second.executionId).not.toBe(first.executionId);
    const bucket = await jsm.streams.info(`KV_${storeNames(prefix).buckets.idempotency}`);
    expect(bucket.config.max_age).toBe(IDEMPOTENCY_BUCKET_MAX_AGE_MS * 1_000_000);
    await a.close();
    await b.close();
  });
});

describe('jetstream store: indexes and large values', () => {
  it('keeps open.* to unfinished runs and drops stale entries', async () => {
    const prefix = freshPrefix();
    const store = await open(prefix);
    const index = await new Kvm(nc).open(storeNames(prefix).buckets.index);
    const openKeys = async () => {
      const keys: string[] = [];
      for await (const k of await index.keys('open.*')) keys.push(k);
      return keys.sort();
    };
    const live = execution('w', ['a']);
    const done = execution('w', ['a']);
    await store.createExecution(live);
    await store.createExecution(done);
    expect(await openKeys()).toEqual([`open.${live.id}`, `open.${done.id}`].sort());
    await store.updateExecution(done.id, { status: 'completed', finishedAt: T0 });
    expect(await openKeys()).toEqual([`open.${live.id}`]);
    // An updater that died between its two writes leaves a stale entry behind.
    await index.put(`open.${done.id}`, new Uint8Array(0));
    expect((await store.listUnfinishedExecutions()).map((e) => e.id)).toEqual([live.id]);
    expect((await store.listExecutions({ status: 'pending' })).items.map((e) => e.id)).toEqual([
      live.id,
    ]);
    expect(await openKeys()).toEqual([`open.${live.id}`]);
    await store.close();
  });

  it(
    'chunks a workflow over the server max payload and purges old chunks',
    { timeout: 60_000 },
    async () => {
      const prefix = freshPrefix();
      const store = await open(prefix);
      const stepIds = Array.from({ length: 10_000 }, (_, i) => `step-${i}`);
      const big: WorkflowRecord = {
        id: 'big',
        definition: definition('big', stepIds),
        source: 'x'.repeat(300_000),
        version: 1,
        createdAt: T0,
        updatedAt: T0,
      };
      expect(JSON.stringify(big.definition).length).toBeGreaterThan(nc.info!.max_payload);
      await store.putWorkflow(big);
      expect(await store.getWorkflow('big')).toEqual(big);
      const small = { ...big, definition: definition('big', ['a']), source: 'small' };
      await store.putWorkflow(small);
      expect(await store.getWorkflow('big')).toEqual({ ...small, version: 2 });
      // The old chunks are gone without markers: only the record's message is left.
      const stream = `KV_${storeNames(prefix).buckets.workflows}`;
      expect((await jsm.streams.info(stream)).state.messages).toBe(1);
      expect((await store.listWorkflows()).items.map((w) => w.id)).toEqual(['big']);
      expect(await store.deleteWorkflow('big')).toBe(true);
      expect(await store.getWorkflow('big')).toBeUndefined();
      const huge = { ...execution('big', ['a']), input: { blob: 'z'.repeat(600_000) } };
      expect(await rejection(store.createExecution(huge))).toMatchObject({
        code: 'invalid_argument',
      });
      expect(await store.getExecution(huge.id)).toBeUndefined();
      await store.close();
    },
  );
});

describe('ensureEventStream', () => {
  it('creates the bounded event stream and brings it to new limits', async () => {
    expect(resolveEventStreamOptions()).toMatchObject({
      name: 'stator_events',
      subjects: [actorWildcard('out')],
      maxAgeMs: 86_400_000,
    });
    expect(() => resolveEventStreamOptions({ maxMsgs: 0 })).toThrow(/maxMsgs/);
    expect(() => resolveEventStreamOptions({ subjects: ['a..b'] })).toThrow(/subjects/);
    const prefix = freshPrefix();
    // A private subject root: a shared NATS_URL server may hold the real `stator.*.*.out` stream.
    const subjects = [`${prefix}.*.*.out`];
    const info = await ensureEventStream(jsm, {
      prefix,
      subjects,
      maxAgeMs: 60_000,
      maxMsgs: 3,
      maxBytes: 1024 * 1024,
    });
    expect(info.config).toMatchObject({
      name: `${prefix}_events`,
      subjects,
      max_age: 60_000 * 1_000_000,
      max_msgs: 3,
      max_bytes: 1024 * 1024,
      discard: 'old',
    });
    const js = (await import('@nats-io/jetstream')).jetstream(nc);
    for (let i = 0; i < 5; i++) await js.publish(`${prefix}.engine.e1.out`, `{"n":${i}}`);
    await js.publish(`${prefix}.engine.e1.in`, '{}').catch(() => undefined);
    const state = (await jsm.streams.info(`${prefix}_events`)).state;
    expect(state.messages).toBe(3);
    expect(state.last_seq).toBe(5);
    const again = await ensureEventStream(jsm, { prefix, subjects, maxMsgs: 10 });
    expect(again.config.max_msgs).toBe(10);
    expect(again.config.max_age).toBe(86_400_000 * 1_000_000);
  });
});

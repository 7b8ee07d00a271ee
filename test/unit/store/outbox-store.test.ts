import { afterEach, describe, expect, it } from 'vitest';
import { NotFoundError, UnavailableError } from '../../../src/errors.ts';
import { silentLogger } from '../../../src/logger.ts';
import { createMemoryStore, type Store } from '../../../src/store/index.ts';
import { withOutbox, type OutboxStore } from '../../../src/store/outbox/index.ts';
import { runStoreConformance } from '../../conformance/store.case.ts';
import { T1, T2, execution, lines, pending } from '../../conformance/store/fixtures.ts';

runStoreConformance({
  name: 'outbox over memory',
  create: async (limits) => withOutbox(createMemoryStore(limits), { logger: silentLogger() }),
});

const WRITES = ['updateExecution', 'putStep', 'appendLogs', 'putSession', 'putTriggerState'];

/** A memory store whose writes fail as `unavailable` while `down`, counting what reaches it. */
function switchable(): { store: Store; down: boolean; sent: string[] } {
  const inner = createMemoryStore();
  const state = { down: false, sent: [] as string[], store: inner };
  state.store = new Proxy(inner, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof name !== 'string' || !WRITES.includes(name) || typeof value !== 'function') {
        return value;
      }
      return (...args: unknown[]) => {
        if (state.down) return Promise.reject(new UnavailableError('jetstream store: timeout'));
        state.sent.push(`${name} ${JSON.stringify(args[1])}`);
        return (value as (...a: unknown[]) => Promise<void>).apply(target, args);
      };
    },
  });
  return state;
}

const opened: OutboxStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

function outboxOver(inner: Store, limit?: number): OutboxStore {
  const store = withOutbox(inner, { logger: silentLogger(), limit, closeTimeoutMs: 300 });
  opened.push(store);
  return store;
}

const settled = (p: Promise<unknown>) => {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  return () => done;
};

describe('withOutbox', () => {
  it('holds writes while the store is unreachable and stores them in order once it is back', async () => {
    const backend = switchable();
    const store = outboxOver(backend.store);
    const rec = execution('wf', ['a']);
    await store.createExecution(rec);
    backend.down = true;
    const started = store.updateExecution(rec.id, { status: 'running', startedAt: T1 });
    const step = store.putStep(rec.id, { ...pending('a'), status: 'running', attempts: 1 });
    const logs = store.appendLogs(rec.id, lines('a', 0, 3));
    const isSettled = settled(Promise.all([started, step, logs]));
    await new Promise((r) => setTimeout(r, 300));
    expect(isSettled()).toBe(false);
    expect(store.outbox().pending).toBe(3);
    expect(store.outbox().failingSince).not.toBeNull();
    expect(store.outbox().lastError).toMatch(/timeout/);
    backend.down = false;
    await Promise.all([started, step, logs]);
    expect(store.outbox()).toMatchObject({ pending: 0, failingSince: null });
    const got = await store.getExecution(rec.id);
    expect(got).toMatchObject({ status: 'running', startedAt: T1 });
    expect(got!.steps[0]).toMatchObject({ status: 'running', attempts: 1 });
    expect((await store.getLogs(rec.id)).lines).toHaveLength(3);
  });

  it('never lets a retried step record overwrite a later one', async () => {
    const backend = switchable();
    const store = outboxOver(backend.store);
    const rec = execution('wf', ['a']);
    await store.createExecution(rec);
    backend.down = true;
    const running = store.putStep(rec.id, { ...pending('a'), status: 'running', attempts: 1 });
    await new Promise((r) => setTimeout(r, 50));
    backend.down = false;
    // The later write goes straight through while the earlier one waits for its retry.
    await store.putStep(rec.id, { ...pending('a'), status: 'succeeded', attempts: 1 });
    await running;
    const got = await store.getExecution(rec.id);
    expect(got!.steps[0]!.status).toBe('succeeded');
    expect(backend.sent.filter((s) => s.startsWith('putStep'))).toHaveLength(1);
  });

  it('retries an execution patch with only the fields no later patch set', async () => {
    const backend = switchable();
    const store = outboxOver(backend.store);
    const rec = execution('wf', ['a']);
    await store.createExecution(rec);
    backend.down = true;
    const started = store.updateExecution(rec.id, { status: 'running', startedAt: T1 });
    await new Promise((r) => setTimeout(r, 50));
    backend.down = false;
    await store.updateExecution(rec.id, { status: 'completed', finishedAt: T2 });
    await started;
    expect(await store.getExecution(rec.id)).toMatchObject({
      status: 'completed',
      startedAt: T1,
      finishedAt: T2,
    });
  });

  it('keeps a pause and a flow wait written during an outage (every patch field is retried)', async () => {
    const backend = switchable();
    const store = outboxOver(backend.store);
    const rec = execution('wf', ['a']);
    await store.createExecution(rec);
    backend.down = true;
    const paused = { at: T1, by: 'ops', reason: 'request' as const };
    const waiting = { reason: 'runConcurrency' as const, key: 'k', since: T1 };
    const writes = [
      store.updateExecution(rec.id, { paused }),
      store.updateExecution(rec.id, { waiting }),
    ];
    await new Promise((r) => setTimeout(r, 50));
    backend.down = false;
    await Promise.all(writes);
    expect(await store.getExecution(rec.id)).toMatchObject({ paused, waiting });
  });

  it('drops the queued writes of runs and sessions this node lost to another, and only those', async () => {
    const backend = switchable();
    const store = outboxOver(backend.store);
    const lostRun = execution('wf', ['a']);
    const keptRun = execution('wf', ['a']);
    await store.createExecution(lostRun);
    await store.createExecution(keptRun);
    const lost = new Set<string>();
    store.dropWritesOf((o) => lost.has(`${o.kind}:${o.id}`));
    backend.down = true;
    const writes = {
      patch: store.updateExecution(lostRun.id, { status: 'completed', finishedAt: T2 }),
      step: store.putStep(lostRun.id, { ...pending('a'), status: 'succeeded', attempts: 1 }),
      logs: store.appendLogs(lostRun.id, lines('a', 0, 2)),
      kept: store.putStep(keptRun.id, { ...pending('a'), status: 'succeeded', attempts: 1 }),
    };
    for (const p of Object.values(writes)) p.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 150));
    expect(store.outbox().pending).toBe(4);
    // The lease of the first run went to another node while the store was away.
    lost.add(`execution:${lostRun.id}`);
    backend.down = false;
    for (const name of ['patch', 'step', 'logs'] as const) {
      await expect(writes[name], name).rejects.toMatchObject({ code: 'conflict' });
    }
    await writes.kept;
    expect(backend.sent).toHaveLength(1); // only the kept run's step
    expect(await store.getExecution(lostRun.id)).toMatchObject({ status: 'pending' });
    expect((await store.getExecution(keptRun.id))!.steps[0]!.status).toBe('succeeded');
    expect(store.outbox().pending).toBe(0);
  });

  it('answers other refusals at once and goes on with the writes behind them', async () => {
    const backend = switchable();
    const store = outboxOver(backend.store);
    const rec = execution('wf', ['a']);
    await store.createExecution(rec);
    await expect(store.updateExecution('ex_missing', { status: 'running' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    backend.down = true;
    const missing = store.appendLogs('ex_missing', lines('a', 0, 1));
    const kept = store.appendLogs(rec.id, lines('a', 0, 2));
    await new Promise((r) => setTimeout(r, 150));
    backend.down = false;
    await expect(missing).rejects.toBeInstanceOf(NotFoundError);
    await kept;
    expect((await store.getLogs(rec.id)).lines).toHaveLength(2);
  });

  it('refuses writes beyond its bound as unavailable and counts them', async () => {
    const backend = switchable();
    const store = outboxOver(backend.store, 2);
    const rec = execution('wf', ['a', 'b', 'c']);
    await store.createExecution(rec);
    backend.down = true;
    const waiting = ['a', 'b'].map((s) => store.putStep(rec.id, { ...pending(s), attempts: 1 }));
    await expect(store.putStep(rec.id, { ...pending('c'), attempts: 1 })).rejects.toThrow(
      /2 writes already wait/,
    );
    expect(store.outbox()).toMatchObject({ pending: 2, refused: 1 });
    backend.down = false;
    await Promise.all(waiting);
  });

  it('does not queue what accepts new work: createExecution fails at once', async () => {
    const backend = switchable();
    const store = outboxOver(backend.store);
    backend.down = true;
    const inner = backend.store as unknown as { createExecution: unknown };
    expect(typeof inner.createExecution).toBe('function');
    // createExecution is not switched off by the proxy, so switch it off here.
    const broken = outboxOver({
      ...backend.store,
      kind: 'memory',
      createExecution: () => Promise.reject(new UnavailableError('down')),
    } as Store);
    await expect(broken.createExecution(execution('wf'))).rejects.toBeInstanceOf(UnavailableError);
    expect(broken.outbox().pending).toBe(0);
    backend.down = false;
    expect(store.outbox().pending).toBe(0);
  });

  it('drops what still waits when closed, after its grace, with an unavailable error', async () => {
    const backend = switchable();
    const store = withOutbox(backend.store, { logger: silentLogger(), closeTimeoutMs: 200 });
    const rec = execution('wf', ['a']);
    await store.createExecution(rec);
    backend.down = true;
    const waiting = store.putStep(rec.id, { ...pending('a'), attempts: 1 });
    const closed = store.close();
    await expect(waiting).rejects.toThrow(/closed before the outbox was written/);
    await closed;
  });
});

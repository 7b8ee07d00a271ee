import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { Webhooks, signWebhookBody, type WebhookFire } from '../../../src/triggers/index.ts';
import { createMemoryStore } from '../../../src/store/index.ts';
import type { ExecutionRecord, Store, WorkflowRecord } from '../../../src/store/index.ts';
import { parseWorkflow } from '../../../src/workflow/index.ts';
import { ConflictError, UnavailableError } from '../../../src/errors.ts';
import type { Clock } from '../../../src/clock.ts';

const T0 = Date.parse('2026-11-22T12:00:00.000Z');

function fakeClock(): Clock & { advance(ms: number): void } {
  let now = T0;
  return {
    now: () => now,
    setTimeout: () => undefined,
    clearTimeout: () => undefined,
    advance: (ms) => {
      now += ms;
    },
  };
}

function record(text: string): WorkflowRecord {
  const definition = parseWorkflow(text);
  const at = new Date(T0).toISOString();
  return { id: definition.id, definition, version: 1, createdAt: at, updatedAt: at };
}

const HOOKED = (path: string, secret?: string) => `id: hooked
triggers:
  - http: { path: ${path}${secret ? `, secret: ${secret}` : ''} }
steps:
  - id: only
    noop: true
`;

/** A `fire` that records runs in the store, as service.execute does. */
function storeFire(store: Store, calls: string[]): WebhookFire {
  return async ({ workflowId, input, executionId }) => {
    calls.push(executionId);
    const wf = (await store.getWorkflow(workflowId))!;
    const rec: ExecutionRecord = {
      id: executionId,
      workflowId,
      status: 'pending',
      input,
      createdAt: new Date(T0).toISOString(),
      startedAt: null,
      finishedAt: null,
      error: null,
      engineId: null,
      node: null,
      definition: wf.definition,
      steps: [],
    };
    await store.createExecution(rec);
    return { executionId };
  };
}

function setup(opts: { retentionMs?: number; fire?: (base: WebhookFire) => WebhookFire } = {}) {
  const store = createMemoryStore();
  const clock = fakeClock();
  const calls: string[] = [];
  const base = storeFire(store, calls);
  const hooks = new Webhooks({
    store,
    clock,
    logger: pino({ level: 'silent' }),
    fire: opts.fire ? opts.fire(base) : base,
    ...(opts.retentionMs !== undefined && {
      options: { idempotencyRetentionMs: opts.retentionMs },
    }),
  });
  const body = (v: unknown) => Buffer.from(JSON.stringify(v));
  return { store, clock, calls, hooks, body };
}

describe('Webhooks', () => {
  it('starts a new run for a key again once its retention has passed', async () => {
    const { store, clock, hooks, body } = setup({ retentionMs: 60_000 });
    const wf = record(HOOKED('ci'));
    await store.putWorkflow(wf);
    hooks.sync(wf);
    const req = { path: 'ci', body: body({}), idempotencyKey: 'k1' };
    const first = await hooks.handle(req);
    clock.advance(59_000);
    expect(await hooks.handle(req)).toEqual({ ...first, replayed: true });
    clock.advance(2000);
    const later = await hooks.handle(req);
    expect(later.replayed).toBe(false);
    expect(later.executionId).not.toBe(first.executionId);
    await store.close();
  });

  it('creates the run of a claim whose first attempt failed, under the claimed id', async () => {
    let failNext = true;
    const { store, calls, hooks, body } = setup({
      fire: (base) => async (f) => {
        if (failNext) {
          failNext = false;
          calls.push(f.executionId);
          throw new UnavailableError('work queue is full');
        }
        return base(f);
      },
    });
    const wf = record(HOOKED('ci'));
    await store.putWorkflow(wf);
    hooks.sync(wf);
    const req = { path: 'ci', body: body({ n: 1 }), idempotencyKey: 'k' };
    await expect(hooks.handle(req)).rejects.toMatchObject({ code: 'unavailable' });
    const retry = await hooks.handle(req);
    expect(retry).toMatchObject({ executionId: calls[0], replayed: false });
    expect((await store.getExecution(calls[0]!))?.input).toEqual({ n: 1 });
    expect(await hooks.handle(req)).toMatchObject({ executionId: calls[0], replayed: true });
    await store.close();
  });

  it('passes on a conflict that is not a duplicate run (e.g. an overlap refusal)', async () => {
    const { store, hooks, body } = setup({
      fire: () => async () => {
        throw new ConflictError('a run of hooked is still going');
      },
    });
    const wf = record(HOOKED('ci'));
    await store.putWorkflow(wf);
    hooks.sync(wf);
    await expect(
      hooks.handle({ path: 'ci', body: body({}), idempotencyKey: 'x' }),
    ).rejects.toMatchObject({ code: 'conflict' });
    await store.close();
  });

  it('learns paths registered elsewhere by rescanning the store, at most every 2 s', async () => {
    const { store, clock, hooks, body } = setup();
    await expect(hooks.handle({ path: 'late', body: body({}) })).rejects.toMatchObject({
      code: 'not_found',
    });
    // Another process registers it: this one has not seen the registration.
    await store.putWorkflow(record(HOOKED('late')));
    await expect(hooks.handle({ path: 'late', body: body({}) })).rejects.toMatchObject({
      code: 'not_found',
    });
    clock.advance(2000);
    expect(await hooks.handle({ path: '/late/', body: body({}) })).toMatchObject({
      workflowId: 'hooked',
    });
    expect(hooks.paths()).toEqual({ late: 'hooked' });
    await store.close();
  });

  it('reads the secret from the stored definition, so a change elsewhere applies at once', async () => {
    const { store, hooks, body } = setup();
    const wf = record(HOOKED('ci', 'old-secret'));
    await store.putWorkflow(wf);
    hooks.sync(wf);
    const raw = body({});
    const signed = (secret: string) => ({
      path: 'ci',
      body: raw,
      signature: signWebhookBody(secret, raw),
    });
    expect((await hooks.handle(signed('old-secret'))).replayed).toBe(false);
    await store.putWorkflow({ ...record(HOOKED('ci', 'new-secret')), version: 2 });
    await expect(hooks.handle(signed('old-secret'))).rejects.toMatchObject({
      code: 'unauthorized',
    });
    expect((await hooks.handle(signed('new-secret'))).workflowId).toBe('hooked');
    // Moved to another path elsewhere: the old path is forgotten.
    await store.putWorkflow({ ...record(HOOKED('moved')), version: 3 });
    await expect(hooks.handle(signed('new-secret'))).rejects.toMatchObject({ code: 'not_found' });
    expect(hooks.paths()).toEqual({ moved: 'hooked' });
    await store.close();
  });

  it('refuses a retention outside 1 ms .. 7 days', () => {
    for (const retentionMs of [0, 1.5, 8 * 86_400_000]) {
      expect(() => setup({ retentionMs })).toThrow(/idempotencyRetentionMs/);
    }
  });
});

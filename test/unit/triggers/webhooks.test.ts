import { describe, expect, it } from 'vitest';
import pino from 'pino';
import {
  Webhooks,
  signWebhook,
  type WebhookFire,
  type WebhookOptions,
} from '../../../src/triggers/index.ts';
import { createMemoryStore } from '../../../src/store/index.ts';
import type { ExecutionRecord, Store, WorkflowRecord } from '../../../src/store/index.ts';
import { parseWorkflow } from '../../../src/workflow/index.ts';
import { ConflictError, UnavailableError, type WireError } from '../../../src/errors.ts';
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

interface SetupOptions {
  retentionMs?: number;
  options?: WebhookOptions;
  env?: Record<string, string | undefined>;
  fire?: (base: WebhookFire) => WebhookFire;
}

function setup(opts: SetupOptions = {}) {
  const store = createMemoryStore();
  const clock = fakeClock();
  const calls: string[] = [];
  const faults: Array<[string, WireError | null]> = [];
  const base = storeFire(store, calls);
  const options: WebhookOptions = {
    ...opts.options,
    ...(opts.retentionMs !== undefined && { idempotencyRetentionMs: opts.retentionMs }),
  };
  const hooks = new Webhooks({
    store,
    clock,
    logger: pino({ level: 'silent' }),
    fire: opts.fire ? opts.fire(base) : base,
    reportFault: (id, problem) => faults.push([id, problem]),
    options,
    ...(opts.env && { env: opts.env }),
  });
  const body = (v: unknown) => Buffer.from(JSON.stringify(v));
  /** A call signed with `secret` at the fake clock's now plus `offsetS` seconds. */
  const signed = (path: string, secret: string, raw: Buffer, offsetS = 0) => {
    const timestamp = String(Math.floor(clock.now() / 1000) + offsetS);
    return { path, body: raw, timestamp, signature: signWebhook(secret, timestamp, raw) };
  };
  return { store, clock, calls, faults, hooks, body, signed };
}

const reasonOf = (err: unknown) => (err as { details?: { reason?: string } }).details?.reason;

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
    const { store, hooks, body, signed } = setup();
    const wf = record(HOOKED('ci', 'old-secret'));
    await store.putWorkflow(wf);
    hooks.sync(wf);
    const raw = body({});
    expect((await hooks.handle(signed('ci', 'old-secret', raw))).replayed).toBe(false);
    await store.putWorkflow({ ...record(HOOKED('ci', 'new-secret')), version: 2 });
    await expect(hooks.handle(signed('ci', 'old-secret', raw, -1))).rejects.toMatchObject({
      code: 'unauthorized',
    });
    expect((await hooks.handle(signed('ci', 'new-secret', raw, -2))).workflowId).toBe('hooked');
    // Moved to another path elsewhere: the old path is forgotten.
    await store.putWorkflow({ ...record(HOOKED('moved')), version: 3 });
    await expect(hooks.handle(signed('ci', 'new-secret', raw, -3))).rejects.toMatchObject({
      code: 'not_found',
    });
    expect(hooks.paths()).toEqual({ moved: 'hooked' });
    await store.close();
  });

  it('refuses a retention outside 1 ms .. 7 days and a tolerance outside 1 s .. 24 h', () => {
    for (const retentionMs of [0, 1.5, 8 * 86_400_000]) {
      expect(() => setup({ retentionMs })).toThrow(/idempotencyRetentionMs/);
    }
    for (const signatureToleranceMs of [0, 999, 1500.5, 86_400_001]) {
      expect(() => setup({ options: { signatureToleranceMs } })).toThrow(/signatureToleranceMs/);
    }
  });
});

describe('Webhooks: signatures with a timestamp (fake clock)', () => {
  const SECRET = 'ci-secret-0123456789';

  async function signedHook(opts: SetupOptions = {}) {
    const ctx = setup(opts);
    const wf = record(HOOKED('ci', SECRET));
    await ctx.store.putWorkflow(wf);
    ctx.hooks.sync(wf);
    return ctx;
  }

  it('accepts a timestamp up to the tolerance away, either way, and refuses one past it', async () => {
    const { store, hooks, body, signed, calls } = await signedHook();
    const raw = body({});
    for (const offset of [0, -300, 300]) {
      expect((await hooks.handle(signed('ci', SECRET, raw, offset))).replayed).toBe(false);
    }
    for (const offset of [-301, 301, -3600, 3600]) {
      const err: unknown = await hooks.handle(signed('ci', SECRET, raw, offset)).catch((e) => e);
      expect(err, String(offset)).toMatchObject({
        code: 'unauthorized',
        details: { reason: 'timestamp_out_of_tolerance', toleranceSeconds: 300 },
      });
    }
    expect(calls).toHaveLength(3);
    await store.close();
  });

  it('applies the tolerance option', async () => {
    const { store, hooks, body, signed } = await signedHook({
      options: { signatureToleranceMs: 10_000 },
    });
    const raw = body({});
    expect((await hooks.handle(signed('ci', SECRET, raw, -10))).replayed).toBe(false);
    const late = await hooks.handle(signed('ci', SECRET, raw, -11)).catch((e: unknown) => e);
    expect(reasonOf(late)).toBe('timestamp_out_of_tolerance');
    await store.close();
  });

  it('refuses a replay while its timestamp is fresh, and the stale timestamp after', async () => {
    const { store, clock, hooks, body, signed, calls } = await signedHook();
    // Signed 299 s in the future: accepted now, and still fresh for the next 599 s.
    const call = signed('ci', SECRET, body({ n: 1 }), 299);
    await hooks.handle(call);
    for (const advance of [0, 300_000, 299_000]) {
      clock.advance(advance);
      const err: unknown = await hooks.handle(call).catch((e) => e);
      expect(err).toMatchObject({
        code: 'unauthorized',
        details: { reason: 'signature_replayed' },
      });
    }
    clock.advance(1000);
    const stale: unknown = await hooks.handle(call).catch((e) => e);
    expect(reasonOf(stale)).toBe('timestamp_out_of_tolerance');
    // The claim lives exactly twice the tolerance.
    const claimed = await store.claimIdempotencyKey({
      scope: 'webhook-signature:ci',
      key: call.signature.slice('sha256='.length).toLowerCase(),
      executionId: 'ex_probe',
      createdAt: new Date(T0 + 599_999).toISOString(),
      expiresAt: new Date(T0 + 700_000).toISOString(),
    });
    expect(claimed.created).toBe(false);
    expect(Date.parse(claimed.claim.expiresAt) - T0).toBe(600_000);
    expect(calls).toHaveLength(1);
    await store.close();
  });

  it('names each refusal in details.reason and starts nothing', async () => {
    const { store, hooks, body, signed, calls } = await signedHook();
    const raw = body({ n: 1 });
    const good = signed('ci', SECRET, raw);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ signature: undefined }, 'signature_missing'],
      [{ timestamp: undefined }, 'timestamp_missing'],
      [{ timestamp: 'yesterday' }, 'timestamp_invalid'],
      [{ timestamp: '-5' }, 'timestamp_invalid'],
      [{ timestamp: String(Number(good.timestamp) + 1) }, 'signature_invalid'],
      [{ body: body({ n: 2 }) }, 'signature_invalid'],
      [{ signature: signWebhook('wrong', good.timestamp, raw) }, 'signature_invalid'],
    ];
    for (const [patch, reason] of cases) {
      const req = { ...good, ...patch } as typeof good;
      for (const k of ['signature', 'timestamp'] as const) if (req[k] === undefined) delete req[k];
      const err: unknown = await hooks.handle(req).catch((e) => e);
      expect(err, reason).toMatchObject({ code: 'unauthorized', details: { reason } });
    }
    expect(calls).toHaveLength(0);
    // None of those burnt the good signature.
    expect((await hooks.handle(good)).replayed).toBe(false);
    await store.close();
  });

  it('does not burn a signature on a body the inputs refuse', async () => {
    const { store, hooks, signed } = await signedHook();
    const call = signed('ci', SECRET, Buffer.from('[1]'));
    await expect(hooks.handle(call)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(hooks.handle(call)).rejects.toMatchObject({ code: 'invalid_argument' });
    await store.close();
  });

  it('with an unset secret variable: 503 naming the reason only, and reports the fault', async () => {
    const env: Record<string, string | undefined> = {};
    const { store, hooks, body, faults, calls, signed } = setup({ env });
    const wf = record(HOOKED('ci', '"${{ env.CI_HOOK_SECRET }}"'));
    await store.putWorkflow(wf);
    hooks.sync(wf);
    const raw = body({});
    const err: unknown = await hooks.handle(signed('ci', 'guess', raw)).catch((e) => e);
    expect(err).toMatchObject({
      code: 'secret_unavailable',
      details: { reason: 'secret_unavailable' },
    });
    expect(JSON.stringify((err as { details: unknown }).details)).not.toContain('CI_HOOK_SECRET');
    expect(faults).toEqual([
      [
        'hooked-http-0',
        expect.objectContaining({
          code: 'secret_unavailable',
          message: 'secret http.secret: CI_HOOK_SECRET is not set',
          details: {
            secrets: [
              { name: 'http.secret', env: 'CI_HOOK_SECRET', reason: 'CI_HOOK_SECRET is not set' },
            ],
          },
        }),
      ],
    ]);
    env.CI_HOOK_SECRET = 'now-set-0123456789';
    expect((await hooks.handle(signed('ci', 'now-set-0123456789', raw))).replayed).toBe(false);
    expect(faults.at(-1)).toEqual(['hooked-http-0', null]);
    expect(calls).toHaveLength(1);
    await store.close();
  });
});

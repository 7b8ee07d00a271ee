import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { createStator, createMemoryStore, createSqliteStore } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import type { Store } from '../../../src/store/index.ts';
import { createHttpApp } from '../../../src/http/index.ts';
import { signWebhook } from '../../../src/triggers/index.ts';
import { parsePrometheusText } from '../../helpers/prometheus-text.ts';

const TOKEN = 'test-token-0123456789abcdef';
const SECRET = 'hook-secret-0123456789';
const ENV_SECRET = 'from-the-environment-42';

const SIGNED = `id: signed-flow
inputs:
  name: { type: string }
  count: { type: number, default: 1 }
triggers:
  - http: { path: /deploy/signed/, secret: ${SECRET} }
steps:
  - id: only
    noop: true
`;
const OPEN = `id: open-flow
triggers:
  - http: { path: open }
steps:
  - id: only
    noop: true
`;
const ENV_HOOK = `id: env-flow
triggers:
  - http: { path: env, secret: "\${{ env.STATOR_TEST_HOOK_SECRET }}" }
  - http: { path: env-unset, secret: "\${{ env.STATOR_TEST_HOOK_UNSET }}" }
steps:
  - id: only
    noop: true
`;

const EXCLUSIVE = `id: exclusive
overlap: skip
triggers:
  - http: { path: exclusive }
steps:
  - id: wait
    sleep: 1m
`;

interface ErrorBody {
  error: { code: string; message: string; details?: { reason?: string } };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe.each(['memory', 'sqlite'] as const)('webhooks (%s store)', (kind) => {
  let dir: string;
  let store: Store;
  let stator: Stator;
  let app: Hono;

  /** A call; with `secret`, signed at now + `offset` seconds (distinct offsets: distinct calls). */
  const signingBase = nowSeconds();
  let signedCalls = 0;
  const hook = (
    path: string,
    body: unknown,
    opts: { secret?: string; signature?: string; key?: string; raw?: string; offset?: number } = {},
  ) => {
    const text = opts.raw ?? (body === undefined ? '' : JSON.stringify(body));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    // Every call gets its own timestamp, apart by more than any offset a test passes: two
    // calls signed in the same wall-clock second would otherwise be one signature (a replay).
    const timestamp = String(signingBase + (opts.offset ?? 0) - 8 * signedCalls++);
    const signature =
      opts.signature ?? (opts.secret ? signWebhook(opts.secret, timestamp, text) : undefined);
    if (signature !== undefined) {
      headers['x-stator-signature'] = signature;
      headers['x-stator-timestamp'] = timestamp;
    }
    if (opts.key !== undefined) headers['idempotency-key'] = opts.key;
    return app.request(`/hooks/${path}`, { method: 'POST', body: text, headers });
  };
  const runsOf = async (workflowId: string) =>
    (await stator.listExecutions({ workflowId, limit: 500 })).items;

  beforeAll(async () => {
    process.env.STATOR_TEST_HOOK_SECRET = ENV_SECRET;
    delete process.env.STATOR_TEST_HOOK_UNSET;
    dir = await mkdtemp(join(tmpdir(), 'stator-hooks-'));
    store =
      kind === 'memory' ? createMemoryStore() : createSqliteStore({ path: join(dir, 'db.sqlite') });
    stator = await createStator({ store, node: 'hooks-test' });
    for (const text of [SIGNED, OPEN, ENV_HOOK, EXCLUSIVE]) await stator.registerWorkflow(text);
    app = createHttpApp({ stator, apiToken: TOKEN });
  });
  afterAll(async () => {
    await stator?.close();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
    delete process.env.STATOR_TEST_HOOK_SECRET;
  });

  it('starts a run for a correctly signed call, without the API token', async () => {
    const res = await hook('deploy/signed', { name: 'web' }, { secret: SECRET });
    expect(res.status).toBe(202);
    const { executionId } = (await res.json()) as { executionId: string };
    expect(res.headers.get('location')).toBe(`/api/executions/${executionId}`);
    expect(res.headers.get('idempotent-replayed')).toBeNull();
    const record = await stator.waitForExecution(executionId, { timeoutMs: 15_000 });
    expect(record).toMatchObject({
      workflowId: 'signed-flow',
      status: 'completed',
      input: { name: 'web', count: 1 },
    });
  });

  it('refuses a missing, wrong or foreign signature with 401 and starts nothing', async () => {
    const before = (await runsOf('signed-flow')).length;
    const body = { name: 'web' };
    const attempts = [
      hook('deploy/signed', body),
      hook('deploy/signed', body, { secret: 'not-the-secret' }),
      hook('deploy/signed', body, {
        signature: signWebhook(SECRET, nowSeconds(), '{"name":"evil"}'),
      }),
      hook('deploy/signed', body, { signature: 'sha256=00' }),
      // The API token is no substitute for the signature.
      app.request('/hooks/deploy/signed', {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { authorization: `Bearer ${TOKEN}` },
      }),
    ];
    const reasons: Array<string | undefined> = [];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(401);
      const { error } = (await res.json()) as ErrorBody;
      expect(error.code).toBe('unauthorized');
      reasons.push(error.details?.reason);
    }
    expect(reasons).toEqual([
      'signature_missing',
      'signature_invalid',
      'signature_invalid',
      'signature_invalid',
      'signature_missing',
    ]);
    expect(await runsOf('signed-flow')).toHaveLength(before);
  });

  it('reads an ${{ env.NAME }} secret, and refuses everything when the variable is unset', async () => {
    const ok = await hook('env', {}, { secret: ENV_SECRET });
    expect(ok.status).toBe(202);
    const literal = await hook('env', {}, { secret: '${{ env.STATOR_TEST_HOOK_SECRET }}' });
    expect(literal.status).toBe(401);
    const unset = [await hook('env-unset', {}), await hook('env-unset', {}, { secret: 'guess' })];
    for (const res of unset) {
      expect(res.status).toBe(503);
      expect(((await res.json()) as ErrorBody).error).toMatchObject({
        code: 'secret_unavailable',
        details: { reason: 'secret_unavailable' },
      });
    }
    expect(await runsOf('env-flow')).toHaveLength(1);
    const triggers = await stator.listTriggers({ workflowId: 'env-flow' });
    const state = triggers.find((t) => t.path === 'env-unset');
    expect(state).toMatchObject({
      state: 'error',
      lastError: {
        code: 'secret_unavailable',
        details: { secrets: [{ env: 'STATOR_TEST_HOOK_UNSET' }] },
      },
    });
  });

  it('serves a hook without a secret openly', async () => {
    const res = await hook('open', { anything: [1, 2] });
    expect(res.status).toBe(202);
    const { executionId } = (await res.json()) as { executionId: string };
    const record = await stator.waitForExecution(executionId, { timeoutMs: 15_000 });
    expect(record.input).toEqual({ anything: [1, 2] });
  });

  it('answers a repeated Idempotency-Key with the first run, starting only one', async () => {
    const key = `key-${kind}-1`;
    const first = await hook('deploy/signed', { name: 'a' }, { secret: SECRET, key });
    expect(first.status).toBe(202);
    const { executionId } = (await first.json()) as { executionId: string };
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    // Signed anew (another timestamp): the exact same call again would be a replay (401).
    const again = await hook('deploy/signed', { name: 'a' }, { secret: SECRET, key, offset: -1 });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await again.json()).toEqual({ executionId });
    const runs = await runsOf('signed-flow');
    expect(runs.filter((r) => r.id === executionId)).toHaveLength(1);
    expect(runs.filter((r) => r.input.name === 'a')).toHaveLength(1);
    // Another key starts another run; the same key on another path is another scope.
    const other = await hook(
      'deploy/signed',
      { name: 'a' },
      { secret: SECRET, key: `${key}-b`, offset: -2 },
    );
    expect(other.status).toBe(202);
    expect(((await other.json()) as { executionId: string }).executionId).not.toBe(executionId);
    const open = await hook('open', {}, { key });
    expect(open.status).toBe(202);
    expect(((await open.json()) as { executionId: string }).executionId).not.toBe(executionId);
  });

  it('starts one run for concurrent calls with the same key', async () => {
    const key = `key-${kind}-race`;
    const responses = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        hook('deploy/signed', { name: 'race' }, { secret: SECRET, key, offset: -i }),
      ),
    );
    const ids = new Set<string>();
    for (const res of responses) {
      expect(res.status).toBe(202);
      ids.add(((await res.json()) as { executionId: string }).executionId);
    }
    expect(ids.size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    const runs = (await runsOf('signed-flow')).filter((r) => r.input.name === 'race');
    expect(runs.map((r) => r.id)).toEqual([...ids]);
  });

  it('validates the body against the inputs (422) before a key is used', async () => {
    const before = (await runsOf('signed-flow')).length;
    const key = `key-${kind}-invalid`;
    const cases: Array<[unknown, string | undefined, number, string]> = [
      [{}, undefined, 422, 'invalid_argument'],
      [{ name: 5 }, undefined, 422, 'invalid_argument'],
      [{ name: 'x', extra: true }, undefined, 422, 'invalid_argument'],
      [[1, 2], undefined, 422, 'invalid_argument'],
      [undefined, '{"name": ', 400, 'malformed_json'],
    ];
    for (const [body, raw, status, code] of cases) {
      const res = await hook('deploy/signed', body, {
        secret: SECRET,
        key,
        ...(raw !== undefined && { raw }),
      });
      expect(res.status).toBe(status);
      expect(((await res.json()) as ErrorBody).error.code).toBe(code);
    }
    expect(await runsOf('signed-flow')).toHaveLength(before);
    const fixed = await hook('deploy/signed', { name: 'fixed' }, { secret: SECRET, key });
    expect(fixed.status).toBe(202);
    expect(fixed.headers.get('idempotent-replayed')).toBeNull();
    const badKey = await hook(
      'deploy/signed',
      { name: 'x' },
      { secret: SECRET, key: 'k'.repeat(300) },
    );
    expect(badKey.status).toBe(422);
  });

  it('answers 404 for an unknown path, another method, or a deleted workflow', async () => {
    for (const res of [
      await hook('no/such/hook', {}),
      await hook('..', {}),
      await app.request('/hooks/open'),
      await app.request('/hooks', { method: 'POST' }),
    ]) {
      expect(res.status).toBe(404);
    }
    await stator.registerWorkflow(
      OPEN.replace('open-flow', 'doomed').replace('open }', 'doomed }'),
    );
    expect((await hook('doomed', {})).status).toBe(202);
    await stator.deleteWorkflow('doomed');
    expect((await hook('doomed', {})).status).toBe(404);
  });

  it('refuses a second workflow on a path already served (409)', async () => {
    const clash = OPEN.replace('open-flow', 'clash');
    await expect(stator.registerWorkflow(clash)).rejects.toMatchObject({ code: 'conflict' });
    // Re-registering the owner keeps its path.
    await stator.registerWorkflow(OPEN);
    expect((await hook('open', {})).status).toBe(202);
  });

  it('answers 409 when the overlap policy skips the fire, starting nothing', async () => {
    const first = await hook('exclusive', {});
    expect(first.status).toBe(202);
    const { executionId } = (await first.json()) as { executionId: string };
    try {
      const second = await hook('exclusive', {}, { key: `key-${kind}-overlap` });
      expect(second.status).toBe(409);
      expect(((await second.json()) as ErrorBody).error.code).toBe('conflict');
      expect((await runsOf('exclusive')).map((r) => r.id)).toEqual([executionId]);
    } finally {
      await stator.cancel(executionId);
    }
  });

  it('applies the body limit (413 payload_too_large)', async () => {
    const small = createHttpApp({ stator, bodyLimitBytes: 64 });
    const text = JSON.stringify({ anything: 'x'.repeat(200) });
    const res = await small.request('/hooks/open', { method: 'POST', body: text });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({
      code: 'payload_too_large',
      details: { limitBytes: 64 },
    });
  });

  it('counts webhook fires in the metrics', async () => {
    const text = parsePrometheusText(await stator.metrics());
    const fires = text.value('stator_trigger_fires_total', {
      workflow: 'signed-flow',
      trigger: 'http',
    });
    // The first call, keys a, a-b, race and fixed: repeats and refusals do not count.
    expect(fires).toBe(5);
  });
});

/**
 * The trigger API through both front doors of one service: HTTP routes (`app.request()`) and
 * the bus (`stator.api.trigger.*` request-reply and `stator.trigger.<id>.in`), plus the
 * registration errors of cron triggers (422 naming the field). Cron ticks follow a simulated
 * clock the test never moves, so only the test fires.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { SimulatedClock } from 'xstate';
import { createHttpApp } from '../../../src/http/index.ts';
import { createSimulatedScheduler } from '../../../src/triggers/simulated-scheduler.ts';
import type { FireResult, TriggerView } from '../../../src/triggers/types.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

interface ErrorBody {
  error: { code: string; message: string; details?: { issues?: Array<{ path: string }> } };
}
type Reply<T> = { ok: true; data: T } | { ok: false; error: ErrorBody['error'] };

const clock = new SimulatedClock();
clock.set(Date.parse('2030-01-01T00:00:00Z'));
// One service for the whole file: the tests follow on from each other's triggers and runs.
const t = useStator({
  start: 'suite',
  memoryBus: true,
  scheduler: createSimulatedScheduler(clock),
});
let app: Hono;

const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;
const post = (path: string, body?: unknown) =>
  app.request(path, {
    method: 'POST',
    ...(body !== undefined && {
      body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    }),
  });
const request = async <T>(subject: string, payload: unknown): Promise<Reply<T>> =>
  (await t.bus.request(subject, payload, { timeoutMs: 10_000 })).json<Reply<T>>();

const NIGHTLY = {
  id: 'nightly',
  inputs: { who: { type: 'string', default: 'cron' } },
  triggers: [
    { cron: { schedule: '0 0 3 * * *', timezone: 'Europe/Paris' } },
    { http: { path: 'nightly/now', secret: '${{ env.NIGHTLY_HOOK_SECRET }}' } },
    { nats: { subject: 'jobs.nightly' } },
  ],
  steps: [{ id: 'hello', run: 'echo "hello $INPUT_WHO"' }],
};

beforeAll(async () => {
  app = createHttpApp({ stator: t.stator });
  expect((await post('/api/workflows', NIGHTLY)).status).toBe(201);
  const busy = {
    id: 'busy',
    env: { GATE: join(t.files, 'gate') },
    triggers: [{ cron: { schedule: '0 * * * *' } }],
    steps: [{ id: 'wait', run: 'while [ ! -f "$GATE" ]; do sleep 0.02; done' }],
  };
  expect((await post('/api/workflows', busy)).status).toBe(201);
});

describe('registration', () => {
  it.each([
    ['a bad expression', { schedule: '* * * 13 *' }, 'triggers[0].cron.schedule'],
    ['a 4-field expression', { schedule: '* * * *' }, 'triggers[0].cron.schedule'],
    [
      'a bad timezone',
      { schedule: '0 3 * * *', timezone: 'Nowhere/Land' },
      'triggers[0].cron.timezone',
    ],
  ])('refuses %s with 422 naming the path', async (_name, cron, path) => {
    const res = await post('/api/workflows', {
      id: 'bad-cron',
      triggers: [{ cron }],
      steps: [{ id: 'a', noop: true }],
    });
    expect(res.status).toBe(422);
    const body = await json<ErrorBody>(res);
    expect(body.error.code).toBe('invalid_workflow');
    expect(body.error.details?.issues?.map((i) => i.path)).toContain(path);
    expect((await app.request('/api/workflows/bad-cron')).status).toBe(404);
    expect((await app.request('/api/triggers?workflowId=bad-cron')).status).toBe(200);
  });
});

describe('HTTP /api/triggers', () => {
  it('lists every declared trigger with its state and never its secret', async () => {
    const res = await app.request('/api/triggers?workflowId=nightly');
    expect(res.status).toBe(200);
    const { items } = await json<{ items: TriggerView[] }>(res);
    expect(items.map((t) => t.id)).toEqual(['nightly-cron-0', 'nightly-http-0', 'nightly-nats-0']);
    const [cron, http, nats] = items;
    expect(cron).toMatchObject({
      workflowId: 'nightly',
      kind: 'cron',
      state: 'active',
      schedule: '0 0 3 * * *',
      timezone: 'Europe/Paris',
      nextFireAt: '2030-01-01T02:00:00.000Z',
      lastFireAt: null,
      lastResult: null,
    });
    // Its secret variable is unset here: the trigger says so, naming the variable only.
    expect(http).toMatchObject({
      kind: 'http',
      path: 'nightly/now',
      signed: true,
      nextFireAt: null,
      state: 'error',
      lastError: {
        code: 'secret_unavailable',
        details: { secrets: [{ env: 'NIGHTLY_HOOK_SECRET' }] },
      },
    });
    expect(nats).toMatchObject({ kind: 'nats', subject: 'jobs.nightly' });
    expect(JSON.stringify(items)).not.toContain('${{');
    const all = await json<{ items: TriggerView[] }>(await app.request('/api/triggers'));
    expect(all.items.map((t) => t.id)).toContain('busy-cron-0');
  });

  it('gets one trigger; an unknown one is 404', async () => {
    const res = await app.request('/api/triggers/nightly-cron-0');
    expect(await json<TriggerView>(res)).toMatchObject({ id: 'nightly-cron-0' });
    const missing = await app.request('/api/triggers/nope-cron-0');
    expect(missing.status).toBe(404);
    expect((await json<ErrorBody>(missing)).error.code).toBe('not_found');
  });

  it('pauses and resumes', async () => {
    const paused = await json<TriggerView>(await post('/api/triggers/nightly-cron-0/pause'));
    expect(paused).toMatchObject({ state: 'paused', nextFireAt: null });
    expect((await json<TriggerView>(await app.request('/api/triggers/nightly-cron-0'))).state).toBe(
      'paused',
    );
    const resumed = await json<TriggerView>(await post('/api/triggers/nightly-cron-0/resume'));
    expect(resumed).toMatchObject({ state: 'active', nextFireAt: '2030-01-01T02:00:00.000Z' });
  });

  it('fires with an input: 202, the execution id, a run with that input', async () => {
    const res = await post('/api/triggers/nightly-cron-0/fire', { input: { who: 'http' } });
    expect(res.status).toBe(202);
    const result = await json<FireResult & { executionId: string }>(res);
    expect(result).toMatchObject({ triggerId: 'nightly-cron-0', status: 'started' });
    expect(res.headers.get('location')).toBe(`/api/executions/${result.executionId}`);
    const run = await t.stator.waitForExecution(result.executionId, { timeoutMs: 15_000 });
    expect(run).toMatchObject({ status: 'completed', input: { who: 'http' } });
    expect(await t.stator.logs(result.executionId)).toContain('hello http');
    const view = await t.stator.getTrigger('nightly-cron-0');
    expect(view.lastResult).toEqual({ status: 'started', executionId: result.executionId });
  });

  it('a fire skipped by the overlap policy answers 200 with the reason', async () => {
    const first = await post('/api/triggers/busy-cron-0/fire');
    expect(first.status).toBe(202);
    const { executionId } = await json<{ executionId: string }>(first);
    const second = await post('/api/triggers/busy-cron-0/fire');
    expect(second.status).toBe(200);
    expect(await json<FireResult>(second)).toMatchObject({ status: 'skipped', reason: 'overlap' });
    await writeFile(join(t.files, 'gate'), 'open');
    await t.stator.waitForExecution(executionId, { timeoutMs: 15_000 });
  });

  it.each([
    ['a body that is not an object', '[1]', 'invalid_argument', 422],
    ['an unknown field', { inputs: {} }, 'invalid_argument', 422],
    ['malformed JSON', '{', 'malformed_json', 400],
    ['an input of the wrong type', { input: { who: 42 } }, 'invalid_argument', 422],
  ])('refuses %s', async (_name, body, code, status) => {
    const res = await post('/api/triggers/nightly-cron-0/fire', body);
    expect(res.status).toBe(status);
    expect((await json<ErrorBody>(res)).error.code).toBe(code);
  });
});

describe('bus: stator.api.trigger.* and stator.trigger.<id>.in', () => {
  it('lists, pauses, resumes and fires through stator.api.trigger.*', async () => {
    const list = await request<{ items: TriggerView[] }>('stator.api.trigger.list', {
      workflowId: 'nightly',
    });
    expect(list.ok && list.data.items).toHaveLength(3);
    const paused = await request<TriggerView>('stator.api.trigger.pause', { id: 'nightly-nats-0' });
    expect(paused).toMatchObject({ ok: true, data: { state: 'paused' } });
    // A paused NATS trigger refuses messages (the sender gets conflict), starts nothing.
    const refused = await request<unknown>('jobs.nightly', { who: 'nats' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'conflict' } });
    await request('stator.api.trigger.resume', { id: 'nightly-nats-0' });
    const accepted = await request<{ executionId: string }>('jobs.nightly', { who: 'nats' });
    if (!accepted.ok) throw new Error(`expected a run: ${accepted.error.message}`);
    // Manual fires follow the workflow's overlap policy (skip): let the message's run end.
    await t.stator.waitForExecution(accepted.data.executionId, { timeoutMs: 15_000 });
    const fired = await request<FireResult & { executionId: string }>('stator.api.trigger.fire', {
      id: 'nightly-cron-0',
      input: { who: 'api' },
    });
    expect(fired).toMatchObject({ ok: true, data: { status: 'started' } });
    if (!fired.ok) throw new Error('expected a run');
    await t.stator.waitForExecution(fired.data.executionId, { timeoutMs: 15_000 });
    const nats = await t.stator.getTrigger('nightly-nats-0');
    expect(nats.counts).toMatchObject({ fired: 1, skipped: 1 });
  });

  it('answers pause, resume and fire on the trigger inbound subject', async () => {
    const subject = 'stator.trigger.nightly-cron-0.in';
    expect(await request(subject, { type: 'pause' })).toMatchObject({
      ok: true,
      data: { state: 'paused' },
    });
    const fired = await request<FireResult & { executionId: string }>(subject, {
      type: 'fire',
      input: { who: 'inbound' },
    });
    // A manual fire works while paused; the trigger stays paused.
    expect(fired).toMatchObject({ ok: true, data: { status: 'started' } });
    if (!fired.ok) throw new Error('expected a run');
    await t.stator.waitForExecution(fired.data.executionId, { timeoutMs: 15_000 });
    await waitFor(async () => (await t.stator.getTrigger('nightly-cron-0')).state === 'paused');
    expect(await request(subject, { type: 'resume' })).toMatchObject({
      ok: true,
      data: { state: 'active' },
    });
  });

  it('refuses malformed inbound events and unknown triggers with structured errors', async () => {
    expect(await request('stator.trigger.nightly-cron-0.in', { type: 'explode' })).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
    expect(await request('stator.trigger.ghost-cron-0.in', { type: 'pause' })).toMatchObject({
      ok: false,
      error: { code: 'not_found' },
    });
    expect(await request('stator.api.trigger.pause', {})).toMatchObject({
      ok: false,
      error: { code: 'invalid_argument' },
    });
  });

  it('publishes trigger events on stator.trigger.<id>.out', async () => {
    const seen: Array<{ type: string }> = [];
    const sub = t.bus.subscribe('stator.trigger.nightly-cron-0.out', (m) => seen.push(m.json()));
    try {
      await request('stator.api.trigger.pause', { id: 'nightly-cron-0' });
      await request('stator.api.trigger.resume', { id: 'nightly-cron-0' });
      await waitFor(() => seen.length >= 2);
      expect(seen).toMatchObject([
        { type: 'trigger.status', status: 'paused', source: 'trigger.nightly-cron-0' },
        { type: 'trigger.status', status: 'active' },
      ]);
    } finally {
      sub.unsubscribe();
    }
  });
});

/**
 * Signed webhooks over real sockets: a real HTTP server in front of a real service on a SQLite
 * data directory. A call signed with a timestamp starts one run; the same bytes sent again, an
 * hour-old or far-future timestamp, or a tampered body start nothing (401 with the reason);
 * the replay stays refused after the service restarts on the same directory, because the
 * accepted signature is claimed in the store. A hook whose secret variable is unset shows the
 * trigger in state `error` naming the variable and answers every call 503.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../src/http/index.ts';
import { signWebhook } from '../../src/triggers/index.ts';
import type { TriggerView } from '../../src/triggers/index.ts';
import type { Stator } from '../../src/index.ts';
import { waitFor } from '../helpers/poll.ts';
import { useStator } from '../helpers/use-stator.ts';

const TOKEN = 'webhook-test-token-0123456789';
const SECRET = 'deploy-hook-secret-0123456789';
const UNSET = `STATOR_TEST_UNSET_HOOK_${process.pid}`;

const DEPLOY = {
  id: 'deploy',
  inputs: { version: { type: 'string' } },
  triggers: [{ http: { path: 'deploy', secret: SECRET } }],
  steps: [{ id: 'only', noop: true }],
};
const BROKEN = {
  id: 'broken',
  triggers: [{ http: { path: 'broken', secret: `\${{ env.${UNSET} }}` } }],
  steps: [{ id: 'only', noop: true }],
};

interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** One signed call, kept as bytes and headers so it can be sent again exactly. */
interface Call {
  path: string;
  body: string;
  headers: Record<string, string>;
}

function signed(path: string, input: unknown, opts: { at?: number; secret?: string } = {}): Call {
  const body = JSON.stringify(input);
  const timestamp = String(opts.at ?? Math.floor(Date.now() / 1000));
  return {
    path,
    body,
    headers: {
      'content-type': 'application/json',
      'x-stator-timestamp': timestamp,
      'x-stator-signature': signWebhook(opts.secret ?? SECRET, timestamp, body),
    },
  };
}

const t = useStator({ start: 'manual', workflows: [DEPLOY, BROKEN] });
let server: HttpServerHandle | undefined;

async function serve(stator: Stator): Promise<string> {
  await server?.close();
  server = await startHttpServer({ app: createHttpApp({ stator, apiToken: TOKEN }) });
  return server.url;
}

afterEach(async () => {
  await server?.close();
  server = undefined;
  delete process.env[UNSET];
});

const send = (url: string, call: Call) =>
  fetch(`${url}/hooks/${call.path}`, { method: 'POST', body: call.body, headers: call.headers });

async function expectRefused(res: Response, status: number, code: string, reason: string) {
  expect(res.status).toBe(status);
  const { error } = (await res.json()) as ErrorBody;
  expect(error).toMatchObject({ code, details: { reason } });
  return error;
}

const runsOf = async (stator: Stator) =>
  (await stator.listExecutions({ workflowId: 'deploy', limit: 100 })).items;

describe('signed webhooks over HTTP', () => {
  it('starts one run for a signed call and refuses the same call sent again', async () => {
    const { stator } = await t.start();
    const url = await serve(stator);
    const call = signed('deploy', { version: '1.4.2' });
    const first = await send(url, call);
    expect(first.status).toBe(202);
    const { executionId } = (await first.json()) as { executionId: string };
    expect(await t.finish(executionId)).toMatchObject({
      status: 'completed',
      input: { version: '1.4.2' },
    });
    await expectRefused(await send(url, call), 401, 'unauthorized', 'signature_replayed');
    // Even concurrently: one exact call is one run.
    const again = signed('deploy', { version: '1.4.3' });
    const statuses = (await Promise.all([1, 2, 3, 4].map(() => send(url, again)))).map(
      (r) => r.status,
    );
    expect(statuses.sort()).toEqual([202, 401, 401, 401]);
    const runs = await runsOf(stator);
    expect(runs.map((r) => r.input.version).sort()).toEqual(['1.4.2', '1.4.3']);
  });

  it('refuses an hour-old or far-future timestamp and a tampered body, starting nothing', async () => {
    const { stator } = await t.start();
    const url = await serve(stator);
    const now = Math.floor(Date.now() / 1000);
    const old = await send(url, signed('deploy', { version: 'old' }, { at: now - 3600 }));
    await expectRefused(old, 401, 'unauthorized', 'timestamp_out_of_tolerance');
    const future = await send(url, signed('deploy', { version: 'future' }, { at: now + 400 }));
    await expectRefused(future, 401, 'unauthorized', 'timestamp_out_of_tolerance');
    const genuine = signed('deploy', { version: '2.0.0' });
    const tampered = { ...genuine, body: JSON.stringify({ version: '6.6.6' }) };
    await expectRefused(await send(url, tampered), 401, 'unauthorized', 'signature_invalid');
    const wrongKey = signed('deploy', { version: 'x' }, { secret: 'not-the-secret' });
    await expectRefused(await send(url, wrongKey), 401, 'unauthorized', 'signature_invalid');
    const { 'x-stator-timestamp': _, ...noTimestamp } = genuine.headers;
    const unstamped = { ...genuine, headers: noTimestamp };
    await expectRefused(await send(url, unstamped), 401, 'unauthorized', 'timestamp_missing');
    expect(await runsOf(stator)).toHaveLength(0);
    // The refusals burnt nothing: the genuine call still goes through, once.
    expect((await send(url, genuine)).status).toBe(202);
    expect(await runsOf(stator)).toHaveLength(1);
  });

  it('still refuses the replay after a restart on the same SQLite data directory', async () => {
    const harness = await t.start();
    let url = await serve(harness.stator);
    const call = signed('deploy', { version: '3.0.0' });
    const res = await send(url, call);
    expect(res.status).toBe(202);
    await t.finish(((await res.json()) as { executionId: string }).executionId);
    await server?.close();
    const restarted = await harness.restart();
    url = await serve(restarted);
    await expectRefused(await send(url, call), 401, 'unauthorized', 'signature_replayed');
    expect(await runsOf(restarted)).toHaveLength(1);
    // The restarted service serves fresh calls.
    expect((await send(url, signed('deploy', { version: '3.0.1' }))).status).toBe(202);
  });

  it('shows a hook whose secret variable is unset in state error, and answers 503', async () => {
    const { stator } = await t.start();
    const url = await serve(stator);
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${url}/api${path}`, { ...init, headers: { authorization: `Bearer ${TOKEN}` } });
    const view = async () => {
      const { items } = (await (await api('/triggers?workflowId=broken')).json()) as {
        items: TriggerView[];
      };
      return items[0]!;
    };
    // Reported from registration on, before any call.
    expect(await view()).toMatchObject({
      id: 'broken-http-0',
      state: 'error',
      lastError: { code: 'secret_unavailable', details: { secrets: [{ env: UNSET }] } },
    });
    const res = await send(url, signed('broken', {}, { secret: 'guess' }));
    const error = await expectRefused(res, 503, 'secret_unavailable', 'secret_unavailable');
    expect(JSON.stringify(error)).not.toContain(UNSET);
    // Resuming does not hide it: activation checks again.
    await api('/triggers/broken-http-0/resume', { method: 'POST' });
    expect((await view()).state).toBe('error');
    await t.waitForEvent(
      (e) => e.type === 'trigger.status' && e.status === 'error' && e.triggerId === 'broken-http-0',
    );
    // Set the variable: the next call is served and the trigger is active again.
    process.env[UNSET] = 'now-it-is-set-0123456789';
    const ok = await send(url, signed('broken', {}, { secret: 'now-it-is-set-0123456789' }));
    expect(ok.status).toBe(202);
    await waitFor(async () => (await view()).state === 'active');
    expect((await view()).lastError).toBeNull();
  });
});

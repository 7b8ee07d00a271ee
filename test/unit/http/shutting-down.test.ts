/**
 * While the service closes, commands that start work are refused with `shutting_down`: 503 and
 * `Retry-After` over HTTP, the same wire error over the bus API. Reads still answer. The run in
 * progress is left as stored (its step `running`), never recorded as cancelled by its stop.
 * Real service (memory store, no process host: the drain path) and a real `sleep` process.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import { Hono } from 'hono';
import { createHttpApp, errorResponse } from '../../../src/http/index.ts';
import { startBusApi } from '../../../src/api/index.ts';
import { createMemoryBus, subjectSpace } from '../../../src/bus/index.ts';
import { NotFoundError, RateLimitedError, ShuttingDownError } from '../../../src/errors.ts';
import { createMemoryStore } from '../../../src/store/index.ts';
import type { Stator } from '../../../src/runtime/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { isGone, waitGone } from '../../fixtures/exec/process-tracker.ts';

/** Names of the default deployment (prefix `stator`), which these tests run as. */
const { apiSubject } = subjectSpace();

interface ErrorBody {
  error: {
    code: string;
    message: string;
    details?: { retryAfterMs?: number };
    recoverable: boolean;
  };
}

const GRACE_MS = 1500;

describe('shutting_down', () => {
  const dirs: string[] = [];
  const pids: number[] = [];
  afterEach(() => {
    for (const pid of pids.splice(0)) if (!isGone(pid)) process.kill(pid, 'SIGKILL');
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'answers execute with 503 and Retry-After while the service drains',
    { timeout: 20_000 },
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stator-closing-'));
      dirs.push(dir);
      const pidFile = join(dir, 'pid');
      const store = createMemoryStore();
      const stator = await createStator({ store, shutdownGraceMs: GRACE_MS, busApi: false });
      const app = createHttpApp({ stator });
      await stator.registerWorkflow({
        id: 'long',
        steps: [{ id: 'work', run: `echo $$ > '${pidFile}'; exec sleep 30` }],
      });
      const post = (path: string, body: unknown = {}) =>
        app.request(path, {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json' },
        });
      const accepted = await post('/api/workflows/long/execute');
      expect(accepted.status).toBe(202);
      const { executionId } = (await accepted.json()) as { executionId: string };
      const pid = await waitFor(() => Number(readFileSync(pidFile, 'utf8').trim()) || undefined, {
        timeoutMs: 10_000,
        message: 'the step never started',
      });
      pids.push(pid);

      const t0 = Date.now();
      const closing = stator.close();
      const refused = await post('/api/workflows/long/execute');
      expect(refused.status).toBe(503);
      const seconds = Number(refused.headers.get('retry-after'));
      expect(seconds).toBeGreaterThanOrEqual(1);
      expect(seconds).toBeLessThanOrEqual(Math.ceil(GRACE_MS / 1000));
      const body = (await refused.json()) as ErrorBody;
      expect(body.error).toMatchObject({ code: 'shutting_down', recoverable: true });
      expect(body.error.details?.retryAfterMs).toBeGreaterThan(0);
      // Registering is refused the same way; reading still answers.
      const register = await post('/api/workflows', {
        id: 'other',
        steps: [{ id: 'a', run: 'true' }],
      });
      expect(register.status).toBe(503);
      expect(((await register.json()) as ErrorBody).error.code).toBe('shutting_down');
      expect((await app.request(`/api/executions/${executionId}`)).status).toBe(200);

      await closing;
      expect(Date.now() - t0).toBeGreaterThanOrEqual(GRACE_MS - 50);
      // No process host: what the grace did not finish is stopped and its process killed...
      expect(await waitGone(pid, 5000), `step process ${pid}`).toBe(true);
      // ...without a final status: the run resumes on the next start.
      const stored = await store.getExecution(executionId);
      expect(stored?.status).toBe('running');
      expect(stored?.steps[0]).toMatchObject({ id: 'work', status: 'running', error: null });
      await store.close();
    },
  );

  it('sends the same wire error over the bus API', async () => {
    const bus = createMemoryBus();
    const refusing = {
      execute: async () => {
        throw new ShuttingDownError(2500);
      },
    } as unknown as Stator;
    const api = startBusApi({
      bus,
      stator: refusing,
      logger: pino({ level: 'silent' }),
      serviceId: 'test',
      version: '0',
    });
    const msg = await bus.request(apiSubject('workflow.execute'), { workflowId: 'long' });
    const reply = msg.json<{ ok: boolean; error: ErrorBody['error'] }>();
    expect(reply).toEqual({
      ok: false,
      error: {
        code: 'shutting_down',
        message: 'stator is shutting down',
        details: { retryAfterMs: 2500 },
        recoverable: true,
      },
    });
    api.close();
    await bus.close();
  });

  it('maps every error that says when to come back to Retry-After in whole seconds', async () => {
    const app = new Hono();
    app.get('/:case', (c) => {
      const which = c.req.param('case');
      if (which === 'closing') return errorResponse(c, new ShuttingDownError(1200));
      if (which === 'limited') return errorResponse(c, new RateLimitedError(40));
      return errorResponse(c, new NotFoundError('thing', 'x'));
    });
    const closing = await app.request('/closing');
    expect([closing.status, closing.headers.get('retry-after')]).toEqual([503, '2']);
    const limited = await app.request('/limited');
    expect([limited.status, limited.headers.get('retry-after')]).toEqual([429, '1']);
    const missing = await app.request('/missing');
    expect([missing.status, missing.headers.get('retry-after')]).toEqual([404, null]);
  });
});

/**
 * Execute over a real HTTP server (createStator + the Hono app on a random port, SQLite store):
 * a client that half-closes its socket after sending still gets its 202; one Idempotency-Key
 * starts one run however many requests carry it at once; a node holding `queueLimit` queued runs
 * and a workflow holding its `maxQueuedExecutions` refuse more with 429 `queue_full` and
 * `Retry-After`, creating no record, while every accepted run completes; a rate-limited 429
 * carries `Retry-After` too.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';
import type { Stator } from '../../../src/index.ts';
import { useStator, type StatorFixture } from '../../helpers/use-stator.ts';
import type { TestStatorOptions } from '../../helpers/stator.ts';

const SLOW = 60_000;
const NOOP = { id: 'noop', steps: [{ id: 'a', noop: true }] };
const QUICK = { id: 'quick', steps: [{ id: 'a', sleep: 20 }] };
const CAPPED = { id: 'capped', maxQueuedExecutions: 5, steps: [{ id: 'a', sleep: 20 }] };
// Outlasts every test: its runs hold their slot until cancelled.
const BLOCK = { id: 'block', steps: [{ id: 'a', sleep: '10m' }] };

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends one request on a raw socket, half-closes it at once, and reads the answer to its end. */
function halfClosedPost(
  port: number,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', rest = ''] = text.split('\r\n\r\n', 2);
      const [statusLine = '', ...lines] = head.split('\r\n');
      const headers = Object.fromEntries(
        lines.map((l) => [
          l.slice(0, l.indexOf(':')).toLowerCase(),
          l.slice(l.indexOf(':') + 1).trim(),
        ]),
      );
      resolve({ status: Number(statusLine.split(' ')[1] ?? 0), headers, body: rest });
    });
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `${extra.join('')}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    socket.end();
  });
}

describe('execute over HTTP: answered, idempotent, admitted', () => {
  const t = useStator({ start: 'manual', memoryBus: true });
  let server: HttpServerHandle | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function serve(
    fixture: StatorFixture,
    options: Partial<TestStatorOptions> = {},
  ): Promise<{ stator: Stator; url: string; port: number }> {
    const { stator } = await fixture.start({
      processHost: false,
      rateLimit: { ratePerSecond: 0 },
      ...options,
    });
    for (const wf of [NOOP, QUICK, CAPPED, BLOCK]) await stator.registerWorkflow(wf);
    server = await startHttpServer({ app: createHttpApp({ stator }) });
    return { stator, url: server.url, port: server.port };
  }

  const execute = (url: string, workflowId: string, body: unknown = {}, key?: string) =>
    fetch(`${url}/api/workflows/${workflowId}/execute`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(key !== undefined && { 'Idempotency-Key': key }),
      },
      body: JSON.stringify(body),
    });

  /** Occupies every slot with a run that never ends by itself; resolves once both run. */
  async function fillSlots(stator: Stator): Promise<string[]> {
    const ids = [
      (await stator.execute('block')).executionId,
      (await stator.execute('block')).executionId,
    ];
    for (const id of ids) {
      await t.waitForEvent(
        (e) => e.type === 'step.started' && (e as { executionId?: string }).executionId === id,
      );
    }
    return ids;
  }

  it(
    'answers 202 to every client that half-closed after sending; exactly those runs exist',
    { timeout: SLOW },
    async () => {
      const { stator, port } = await serve(t);
      const ids = Array.from({ length: 20 }, (_, i) => `ex_halfclosed_${i}`);
      const answers = await Promise.all(
        ids.map((executionId) =>
          halfClosedPost(port, '/api/workflows/noop/execute', JSON.stringify({ executionId })),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(ids.map(() => 202));
      answers.forEach((a, i) => expect(JSON.parse(a.body)).toEqual({ executionId: ids[i] }));
      for (const id of ids) expect((await t.finish(id)).status).toBe('completed');
      const page = await stator.listExecutions({ limit: 100 });
      expect(page.items.map((r) => r.id).sort()).toEqual([...ids].sort());
    },
  );

  it(
    'starts one run for one Idempotency-Key sent by 10 clients at once',
    { timeout: SLOW },
    async () => {
      const { stator, url, port } = await serve(t);
      const answers = await Promise.all(
        Array.from({ length: 10 }, () => execute(url, 'noop', {}, 'order-42')),
      );
      expect(answers.map((r) => r.status)).toEqual(answers.map(() => 202));
      const bodies = (await Promise.all(answers.map((r) => r.json()))) as Array<{
        executionId: string;
        replayed?: boolean;
      }>;
      const id = bodies[0]!.executionId;
      expect(bodies.every((b) => b.executionId === id)).toBe(true);
      expect(bodies.filter((b) => b.replayed === true)).toHaveLength(9);
      const replayedHeaders = answers.filter(
        (r) => r.headers.get('idempotent-replayed') === 'true',
      );
      expect(replayedHeaders).toHaveLength(9);
      expect(answers.every((r) => r.headers.get('location') === `/api/executions/${id}`)).toBe(
        true,
      );
      expect((await t.finish(id)).status).toBe('completed');

      // Later repeats, even from a client that half-closes, get the same run.
      const late = await halfClosedPost(port, '/api/workflows/noop/execute', '{}', {
        'Idempotency-Key': 'order-42',
      });
      expect(late.status).toBe(202);
      expect(late.headers['idempotent-replayed']).toBe('true');
      expect(JSON.parse(late.body)).toEqual({ executionId: id, replayed: true });
      const again = await execute(url, 'noop', { input: {} }, 'order-42');
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(await again.json()).toEqual({ executionId: id, replayed: true });
      // A key is scoped to its workflow; another key is another run.
      const other = (await (await execute(url, 'quick', {}, 'order-42')).json()) as {
        executionId: string;
      };
      const fresh = (await (await execute(url, 'noop', {}, 'order-43')).json()) as {
        executionId: string;
      };
      expect(new Set([id, other.executionId, fresh.executionId]).size).toBe(3);
      await t.finish(other.executionId);
      await t.finish(fresh.executionId);
      expect((await stator.listExecutions({ limit: 100 })).items).toHaveLength(3);
    },
  );

  it('refuses malformed Idempotency-Keys with 422 and starts nothing', async () => {
    const { stator, url } = await serve(t);
    for (const key of ['x'.repeat(256), 'has space', 'tab\tkey']) {
      const res = await fetch(`${url}/api/workflows/noop/execute`, {
        method: 'POST',
        headers: { 'Idempotency-Key': key },
      });
      expect(res.status, key).toBe(422);
      const { error } = (await res.json()) as { error: { code: string; details: unknown } };
      expect(error.code).toBe('invalid_argument');
      expect(JSON.stringify(error.details)).toContain('idempotencyKey');
    }
    expect((await stator.listExecutions()).items).toHaveLength(0);
  });

  it(
    'refuses a burst past max queued 50 with 429 queue_full and Retry-After; accepted runs complete',
    { timeout: SLOW },
    async () => {
      const { stator, url } = await serve(t, { engines: 1, slotsPerEngine: 2, queueLimit: 50 });
      const blockers = await fillSlots(stator);
      const ids = Array.from({ length: 120 }, (_, i) => `ex_burst_${i}`);
      const answers = await Promise.all(
        ids.map((executionId) => execute(url, 'quick', { executionId })),
      );
      const accepted = ids.filter((_, i) => answers[i]!.status === 202);
      const refused = ids.filter((_, i) => answers[i]!.status === 429);
      expect(accepted).toHaveLength(50);
      expect(refused).toHaveLength(70);
      for (const res of answers.filter((r) => r.status === 429)) {
        expect(res.headers.get('retry-after')).toBe('1');
        const { error } = (await res.json()) as { error: Record<string, unknown> };
        expect(error).toMatchObject({
          code: 'queue_full',
          recoverable: true,
          details: { scope: 'node', limit: 50, retryAfterMs: 1000 },
        });
      }
      for (const id of refused) {
        expect((await fetch(`${url}/api/executions/${id}`)).status).toBe(404);
      }
      expect((await stator.health()).engines[0]).toMatchObject({ queued: 50, busy: 2 });
      for (const id of blockers) await stator.cancel(id);
      for (const id of accepted) expect((await t.finish(id)).status).toBe('completed');
      expect((await stator.listExecutions({ limit: 500 })).items).toHaveLength(52);
      // With room again, the next execute is accepted.
      expect((await execute(url, 'quick')).status).toBe(202);
    },
  );

  it(
    "refuses past a workflow's maxQueuedExecutions while other workflows still get in",
    { timeout: SLOW },
    async () => {
      const { stator, url } = await serve(t, { engines: 1, slotsPerEngine: 2, queueLimit: 1000 });
      const blockers = await fillSlots(stator);
      const ids = Array.from({ length: 20 }, (_, i) => `ex_capped_${i}`);
      const answers = await Promise.all(
        ids.map((executionId) => execute(url, 'capped', { executionId })),
      );
      const accepted = ids.filter((_, i) => answers[i]!.status === 202);
      const refused = answers.filter((r) => r.status === 429);
      expect(accepted).toHaveLength(5);
      expect(refused).toHaveLength(15);
      for (const res of refused) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        const { error } = (await res.json()) as { error: Record<string, unknown> };
        expect(error).toMatchObject({
          code: 'queue_full',
          details: { scope: 'workflow', workflowId: 'capped', limit: 5, retryAfterMs: 1000 },
        });
      }
      const quick = await execute(url, 'quick');
      expect(quick.status).toBe(202);
      const { executionId: quickId } = (await quick.json()) as { executionId: string };
      // A queued run cancelled frees its place.
      await stator.cancel(accepted[0]!);
      const late = await execute(url, 'capped', { executionId: 'ex_capped_late' });
      expect(late.status).toBe(202);
      expect((await execute(url, 'capped')).status).toBe(429);
      for (const id of blockers) await stator.cancel(id);
      for (const id of [...accepted.slice(1), 'ex_capped_late', quickId]) {
        expect((await t.finish(id)).status).toBe('completed');
      }
      for (const id of ids.filter((id) => !accepted.includes(id))) {
        await expect(stator.getExecution(id)).rejects.toMatchObject({ code: 'not_found' });
      }
    },
  );

  it('sends Retry-After with a rate-limited 429 too', async () => {
    const { url } = await serve(t, { rateLimit: { ratePerSecond: 1, burst: 1 } });
    const first = await fetch(`${url}/api/sessions/nope/start`, { method: 'POST' });
    expect(first.status).toBe(404);
    const limited = await fetch(`${url}/api/sessions/nope/start`, { method: 'POST' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const { error } = (await limited.json()) as { error: Record<string, unknown> };
    expect(error).toMatchObject({
      code: 'rate_limited',
      details: { retryAfterMs: expect.any(Number) },
    });
  });
});

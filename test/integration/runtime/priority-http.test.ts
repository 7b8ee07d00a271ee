/**
 * Run priorities over a real HTTP server (embedded, SQLite): with the only engine slot held,
 * 20 runs queued at priority 5 and then 5 at priority 1 start highs first (in their order), then
 * the lows in theirs; the priority is stored in the record and shown by the API; a priority of
 * 0, 6, 2.5 or "x" is refused with 422 naming the field, and so is the library's `execute()`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';
import { useStator } from '../../helpers/use-stator.ts';

const SLOW = 60_000;
const QUICK = { id: 'quick', steps: [{ id: 'a', noop: true }] };
const BLOCK = { id: 'block', steps: [{ id: 'a', sleep: '10m' }] };

describe('priority on execute', () => {
  const t = useStator({ start: 'manual', memoryBus: true });
  let server: HttpServerHandle | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function serve() {
    const { stator } = await t.start({
      processHost: false,
      engines: 1,
      slotsPerEngine: 1,
      rateLimit: { ratePerSecond: 0 },
    });
    for (const wf of [QUICK, BLOCK]) await stator.registerWorkflow(wf);
    server = await startHttpServer({ app: createHttpApp({ stator }) });
    const url = server.url;
    const execute = (workflowId: string, body: unknown) =>
      fetch(`${url}/api/workflows/${workflowId}/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    return { stator, url, execute };
  }

  it('runs higher priorities first, FIFO within one', { timeout: SLOW }, async () => {
    const { stator, url, execute } = await serve();
    const blocker = (await stator.execute('block')).executionId;
    await t.waitForEvent(
      (e) => e.type === 'step.started' && (e as { executionId?: string }).executionId === blocker,
    );
    const lows: string[] = [];
    const highs: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await execute('quick', { priority: 5, executionId: `ex_low_${i}` });
      expect(res.status).toBe(202);
      lows.push(`ex_low_${i}`);
    }
    for (let i = 0; i < 5; i++) {
      const res = await execute('quick', { priority: 1, executionId: `ex_high_${i}` });
      expect(res.status).toBe(202);
      highs.push(`ex_high_${i}`);
    }
    await stator.cancel(blocker);
    const records = [];
    for (const id of [...highs, ...lows]) records.push(await t.finish(id));
    expect(records.every((r) => r.status === 'completed')).toBe(true);
    const byStart = [...records].sort((a, b) => a.startedAt!.localeCompare(b.startedAt!));
    // startedAt has millisecond resolution: compare the order of the groups, not of ties.
    const lastHighStart = Math.max(...records.slice(0, 5).map((r) => Date.parse(r.startedAt!)));
    const firstLowStart = Math.min(...records.slice(5).map((r) => Date.parse(r.startedAt!)));
    expect(lastHighStart).toBeLessThanOrEqual(firstLowStart);
    expect(
      byStart
        .slice(0, 5)
        .map((r) => r.id)
        .sort(),
    ).toEqual([...highs].sort());
    const shown = (await (await fetch(`${url}/api/executions/ex_high_0`)).json()) as {
      priority?: number;
    };
    expect(shown.priority).toBe(1);
    const low = (await (await fetch(`${url}/api/executions/ex_low_0`)).json()) as {
      priority?: number;
    };
    expect(low.priority).toBe(5);
  });

  it('refuses a priority out of range or not an integer with 422', { timeout: SLOW }, async () => {
    const { stator, execute } = await serve();
    for (const priority of [0, 6, 2.5, 'x', null]) {
      const res = await execute('quick', { priority });
      expect(res.status, String(priority)).toBe(422);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('invalid_argument');
      expect(body.error.message).toMatch(/priority/);
    }
    await expect(stator.execute('quick', {}, { priority: 9 })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
    const page = await stator.listExecutions({ limit: 10 });
    expect(page.items).toEqual([]);
    const ok = await stator.execute('quick', {}, { priority: 2 });
    expect((await t.finish(ok.executionId)).priority).toBe(2);
  });
});

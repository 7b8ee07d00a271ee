/**
 * Re-run from the failure (`POST /api/executions/:id/retry`), with real processes and a SQLite
 * store: each step appends a line to a trace file, so the test sees which processes ran and how
 * often across both runs. A failed middle step (it needs a marker file the test creates before
 * retrying) runs again with the step after it; the first step's process never runs again and its
 * stored outputs reach the steps that do. `from` re-runs from a chosen step; a cancelled run is
 * retried; a forEach step keeps its succeeded instances; conflicts, unknown ids and steps are
 * refused; concurrent retries with one Idempotency-Key make one run.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../src/http/index.ts';
import type { ExecutionRecord } from '../../../src/store/index.ts';
import { ChaosApi, FINAL_STATUSES } from '../../chaos/api.ts';
import { startServer, type ServerProcess } from '../../chaos/server-process.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator, useTempDir } from '../../helpers/use-stator.ts';

/** The lines of the trace file (one per step process run). */
async function trace(dir: string): Promise<string[]> {
  const text = await readFile(join(dir, 'trace'), 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

const count = (lines: string[], prefix: string) =>
  lines.filter((l) => l === prefix || l.startsWith(`${prefix} `)).length;

/** a → b → c; b fails until `marker` exists; a and b hand outputs on. */
function chain(id: string, dir: string) {
  return {
    id,
    steps: [
      { id: 'a', run: `echo a >> '${dir}/trace'; echo "token=t-$$" >> "$STATOR_OUTPUT"` },
      {
        id: 'b',
        needs: ['a'],
        run: `echo "b $STEPS_A_TOKEN" >> '${dir}/trace'; test -f '${dir}/marker' || exit 3; echo "got=$STEPS_A_TOKEN" >> "$STATOR_OUTPUT"`,
      },
      {
        id: 'c',
        needs: ['b'],
        // Evaluated again in a retry run, over the kept step's status and outputs.
        if: 'steps.a.status == "succeeded" && steps.a.outputs.token != "" && steps.b.status == "succeeded"',
        exec: [
          'sh',
          '-c',
          `echo "c $1 $STEPS_B_GOT" >> '${dir}/trace'`,
          'sh',
          '${{ steps.a.outputs.token }}',
        ],
      },
    ],
  };
}

const step = (record: ExecutionRecord, id: string) => record.steps.find((s) => s.id === id)!;

describe('retry', () => {
  const t = useStator({ processHost: false, rateLimit: { ratePerSecond: 0 } });
  const http = () => createHttpApp({ stator: t.stator });
  const retry = (id: string, query = '', headers: Record<string, string> = {}) =>
    http().request(`/api/executions/${encodeURIComponent(id)}/retry${query}`, {
      method: 'POST',
      headers,
    });

  it('runs only the failed step and the one after; the kept step never runs again', async () => {
    const dir = t.files;
    await t.stator.registerWorkflow(chain('chain', dir));
    const { record: first } = await t.run('chain', {}, 30_000);
    expect(first.status).toBe('failed');
    expect(first.steps.map((s) => s.status)).toEqual(['succeeded', 'failed', 'skipped']);
    const before = await t.stator.getExecution(first.id);

    await writeFile(join(dir, 'marker'), '');
    const res = await retry(first.id);
    expect(res.status).toBe(202);
    const body = (await res.json()) as { executionId: string; retryOf: string };
    expect(body.retryOf).toBe(first.id);
    expect(res.headers.get('location')).toBe(`/api/executions/${body.executionId}`);
    const second = await t.finish(body.executionId, 30_000);
    expect(second.status).toBe('completed');
    expect(second.retryOf).toBe(first.id);

    const token = (step(first, 'a').outputs as { token: string }).token;
    const lines = await trace(dir);
    expect(count(lines, 'a')).toBe(1);
    expect(count(lines, 'b')).toBe(2);
    expect(count(lines, 'c')).toBe(1);
    // The kept step's outputs reached the steps that ran: env, argv template, and b's own.
    expect(lines).toContain(`c ${token} ${token}`);
    // The kept step: the old record's fields, marked reused; no event of it in the new run.
    expect(step(second, 'a')).toEqual({ ...step(first, 'a'), reused: true });
    expect(step(second, 'b')).not.toHaveProperty('reused');
    expect(step(second, 'b')).toMatchObject({ status: 'succeeded', outputs: { got: token } });
    expect(t.eventsOf(second.id).filter((e) => 'stepId' in e && e.stepId === 'a')).toEqual([]);
    // The API shows it; the old run is unchanged.
    const view = (await (await http().request(`/api/executions/${second.id}`)).json()) as {
      retryOf: string;
      steps: Array<{ id: string; reused?: boolean }>;
    };
    expect(view.retryOf).toBe(first.id);
    expect(view.steps.map((s) => s.reused ?? false)).toEqual([true, false, false]);
    expect(await t.stator.getExecution(first.id)).toEqual(before);
  }, 60_000);

  it('from a chosen step re-runs it and what follows, even of a completed run', async () => {
    const dir = t.files;
    await writeFile(join(dir, 'marker'), '');
    await t.stator.registerWorkflow(chain('chain-ok', dir));
    const { record: first } = await t.run('chain-ok', {}, 30_000);
    expect(first.status).toBe('completed');
    // A completed run is retried only from a step.
    const refused = await retry(first.id);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('conflict');

    const res = await retry(first.id, '?from=b');
    expect(res.status).toBe(202);
    const { executionId } = (await res.json()) as { executionId: string };
    const second = await t.finish(executionId, 30_000);
    expect(second.status).toBe('completed');
    expect(second.steps.map((s) => s.reused === true)).toEqual([true, false, false]);
    const lines = await trace(dir);
    expect([count(lines, 'a'), count(lines, 'b'), count(lines, 'c')]).toEqual([1, 2, 2]);

    // From the first step: everything runs again.
    const all = await t.stator.retry(first.id, { from: 'a' });
    expect((await t.finish(all.executionId, 30_000)).steps.every((s) => !s.reused)).toBe(true);
    expect(count(await trace(dir), 'a')).toBe(2);
  }, 60_000);

  it('refuses unknown runs (404), unknown steps (422) and unfinished runs (409)', async () => {
    const dir = t.files;
    await t.stator.registerWorkflow({
      id: 'gated',
      steps: [
        { id: 'a', run: `echo a >> '${dir}/trace'` },
        {
          id: 'wait',
          needs: ['a'],
          run: `echo wait >> '${dir}/trace'; while [ ! -f '${dir}/gate' ]; do sleep 0.05; done`,
        },
        { id: 'z', needs: ['wait'], run: `echo z >> '${dir}/trace'` },
      ],
    });
    expect((await retry('ex_nope')).status).toBe(404);
    const { executionId } = await t.stator.execute('gated');
    await waitFor(async () => (await trace(dir)).includes('wait'), {
      timeoutMs: 15_000,
      message: 'the waiting step runs',
    });
    const running = await retry(executionId);
    expect(running.status).toBe(409);
    // Cancelled mid-way, then retried: the waiting step runs again, the first does not.
    await t.stator.cancel(executionId);
    expect((await retry(executionId, '?from=nope')).status).toBe(422);
    await writeFile(join(dir, 'gate'), '');
    const again = await t.stator.retry(executionId);
    const record = await t.finish(again.executionId, 30_000);
    expect(record.status).toBe('completed');
    expect(record.steps.map((s) => [s.id, s.status, s.reused === true])).toEqual([
      ['a', 'succeeded', true],
      ['wait', 'succeeded', false],
      ['z', 'succeeded', false],
    ]);
    expect(await trace(dir)).toEqual(['a', 'wait', 'wait', 'z']);
  }, 60_000);

  it('makes one run for concurrent retries with one Idempotency-Key', async () => {
    const dir = t.files;
    await t.stator.registerWorkflow(chain('chain-key', dir));
    const { record: first } = await t.run('chain-key', {}, 30_000);
    await writeFile(join(dir, 'marker'), '');
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => retry(first.id, '', { 'Idempotency-Key': 'k-1' })),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
    const bodies = (await Promise.all(answers.map((a) => a.json()))) as Array<{
      executionId: string;
      replayed?: boolean;
    }>;
    const ids = new Set(bodies.map((b) => b.executionId));
    expect(ids.size).toBe(1);
    expect(bodies.filter((b) => b.replayed !== true)).toHaveLength(1);
    const [id] = [...ids];
    await t.finish(id!, 30_000);
    // Exactly one retry run exists, and b ran once more.
    const runs = await t.stator.listExecutions({ workflowId: 'chain-key' });
    expect(runs.items.filter((r) => r.retryOf === first.id).map((r) => r.id)).toEqual([id]);
    expect(count(await trace(dir), 'b')).toBe(2);
    // A repeat after the run finished answers the same run.
    const later = await t.stator.retry(first.id, { idempotencyKey: 'k-1' });
    expect(later).toEqual({ executionId: id, replayed: true, retryOf: first.id });
  }, 60_000);

  it('uses the definition the old run ran, or the latest one when asked', async () => {
    const dir = t.files;
    const v1 = {
      id: 'versions',
      steps: [
        { id: 'a', run: `echo a >> '${dir}/trace'` },
        { id: 'b', needs: ['a'], run: `echo b1 >> '${dir}/trace'; exit 4` },
      ],
    };
    await t.stator.registerWorkflow(v1);
    const { record: first } = await t.run('versions', {}, 30_000);
    expect(first.status).toBe('failed');
    await t.stator.registerWorkflow({
      ...v1,
      steps: [v1.steps[0], { id: 'b', needs: ['a'], run: `echo b2 >> '${dir}/trace'` }],
    });
    // The stored definition: b fails again as it did.
    const stored = await t.stator.retry(first.id);
    expect((await t.finish(stored.executionId, 30_000)).status).toBe('failed');
    const latest = await retry(first.id, '?definition=latest');
    expect(latest.status).toBe(202);
    const { executionId } = (await latest.json()) as { executionId: string };
    const record = await t.finish(executionId, 30_000);
    expect(record.status).toBe('completed');
    expect(record.steps[0]!.reused).toBe(true);
    expect(await trace(dir)).toEqual(['a', 'b1', 'b1', 'b2']);
  }, 60_000);

  it('keeps the succeeded instances of a forEach step that failed', async () => {
    const dir = t.files;
    await t.stator.registerWorkflow({
      id: 'fan',
      steps: [
        {
          id: 'x',
          forEach: [1, 2, 3],
          concurrency: 1,
          run: `echo "x $STATOR_ITEM" >> '${dir}/trace'; [ "$STATOR_ITEM" != 2 ] || test -f '${dir}/marker' || exit 3; echo "n=$STATOR_ITEM" >> "$STATOR_OUTPUT"`,
        },
        { id: 'y', needs: ['x'], run: `echo "y $STEPS_X" >> '${dir}/trace'` },
      ],
    });
    const { record: first } = await t.run('fan', {}, 30_000);
    expect(first.status).toBe('failed');
    await writeFile(join(dir, 'marker'), '');
    const { executionId } = await t.stator.retry(first.id);
    const second = await t.finish(executionId, 30_000);
    expect(second.status).toBe('completed');
    expect(step(second, 'x[0]')).toMatchObject({ status: 'succeeded', reused: true });
    expect(step(second, 'x[1]').reused).toBeUndefined();
    expect(step(second, 'x').outputs).toEqual([{ n: '1' }, { n: '2' }, { n: '3' }]);
    const lines = await trace(dir);
    expect(['x 1', 'x 2', 'x 3'].map((l) => count(lines, l))).toEqual([1, 2, 1]);
  }, 60_000);
});

describe('a retry run across a kill -9 of the server', () => {
  const data = useTempDir('stator-retry-data-');
  const workflows = useTempDir('stator-retry-wf-');
  const scratch = useTempDir('stator-retry-files-');
  let server: ServerProcess | undefined;
  afterEach(async () => {
    if (server?.running()) await server.kill9();
    server = undefined;
  });

  it('completes after the restart; the kept step still never runs again', async () => {
    const dir = scratch.path;
    const start = () => startServer({ dataDir: data.path, workflowsDir: workflows.path });
    server = await start();
    const api = new ChaosApi(() => server!.url);
    const wf = chain('chain-kill', dir);
    // b, once it may succeed, takes long enough to kill the server while it runs.
    wf.steps[1]!.run += `; touch '${dir}/b-started'; sleep 2`;
    await api.register(wf);
    const first = await api.execute('chain-kill');
    await waitFor(
      async () => FINAL_STATUSES.includes((await api.execution(first)).status) || undefined,
      { timeoutMs: 30_000, message: 'the first run ended' },
    );
    expect((await api.execution(first)).status).toBe('failed');
    await writeFile(join(dir, 'marker'), '');
    const { executionId } = await api.call<{ executionId: string }>(
      'POST',
      `/api/executions/${first}/retry`,
      undefined,
      202,
    );
    await waitFor(() => readdir(dir).then((f) => f.includes('b-started') || undefined), {
      timeoutMs: 30_000,
      message: 'the retried step started',
    });
    await server.kill9();
    server = await start();
    const done = await waitFor(
      async () => {
        const rec = await api.call<ExecutionRecord>('GET', `/api/executions/${executionId}`);
        return FINAL_STATUSES.includes(rec.status) ? rec : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: 'the retry run ended after the restart' },
    );
    expect(done.status).toBe('completed');
    expect(done.retryOf).toBe(first);
    expect(done.steps.map((s) => s.reused === true)).toEqual([true, false, false]);
    const token = (done.steps[0]!.outputs as { token: string }).token;
    const lines = await trace(dir);
    expect(count(lines, 'a')).toBe(1);
    expect(count(lines, 'c')).toBe(1);
    expect(lines).toContain(`c ${token} ${token}`);
  }, 120_000);
});

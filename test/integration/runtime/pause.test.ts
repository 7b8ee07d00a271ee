/**
 * Pausing one run, embedded (SQLite), over HTTP: paused while step 1 runs, step 1 finishes and
 * step 2 does not start for seconds; resume runs 2 and 3, each once. Idempotent pause and
 * resume; a `pauseBefore` breakpoint; cancel while paused; a restart of the process while
 * paused keeps it paused, starting nothing. Hostile: unknown id (404), finished run (409), a
 * body that is not an object (422).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHttpApp } from '../../../src/http/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator, useTempDir } from '../../helpers/use-stator.ts';

const files = useTempDir('stator-pause-');

interface Run {
  status: string;
  paused?: { at: string; by: string; reason: string; stepId?: string };
  steps: Array<{ id: string; status: string; attempts: number }>;
  error?: { code: string };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pause and resume one run', () => {
  const t = useStator({
    workflows: [
      {
        id: 'chain',
        inputs: { trace: { type: 'string' } },
        steps: [
          { id: 'one', run: 'sleep 1; echo one >> "$INPUT_TRACE"' },
          { id: 'two', needs: ['one'], run: 'echo two >> "$INPUT_TRACE"' },
          { id: 'three', needs: ['two'], run: 'echo three >> "$INPUT_TRACE"' },
        ],
      },
      {
        id: 'broken',
        inputs: { trace: { type: 'string' } },
        steps: [
          { id: 'one', run: 'echo one >> "$INPUT_TRACE"' },
          { id: 'two', needs: ['one'], pauseBefore: true, run: 'echo two >> "$INPUT_TRACE"' },
        ],
      },
    ],
  });
  const http = () => createHttpApp({ stator: t.stator });
  const post = async (path: string, body?: unknown) => {
    const res = await http().request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Run };
  };
  const get = async (id: string) => (await t.stator.getExecution(id)) as unknown as Run;
  const step = async (id: string, stepId: string) =>
    (await get(id)).steps.find((s) => s.id === stepId)!;
  const until = (what: string, check: () => Promise<boolean>) =>
    waitFor(async () => ((await check()) ? true : undefined), {
      timeoutMs: 15_000,
      message: what,
    });
  const lines = async (file: string) =>
    (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);

  it('lets the running step finish, starts nothing while paused, then runs the rest', async () => {
    const trace = join(files.path, 'chain');
    const { executionId: id } = await t.stator.execute('chain', { trace });
    await until('one running', async () => (await step(id, 'one')).status === 'running');
    const paused = await post(`/api/executions/${id}/pause`, { by: 'alice' });
    expect(paused.status).toBe(200);
    expect(paused.body.status).toBe('running');
    expect(paused.body.paused).toMatchObject({ by: 'alice', reason: 'request' });
    // Stored before the answer.
    expect((await get(id)).paused).toMatchObject({ by: 'alice' });
    await until('one done', async () => (await step(id, 'one')).status === 'succeeded');
    await sleep(2000);
    expect((await step(id, 'two')).status).toBe('pending');
    expect(await lines(trace)).toEqual(['one']);
    // Idempotent: the same pause.
    const again = await post(`/api/executions/${id}/pause`, { by: 'bob' });
    expect(again.status).toBe(200);
    expect(again.body.paused).toEqual(paused.body.paused);
    const resumed = await post(`/api/executions/${id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.paused).toBeUndefined();
    const done = await t.stator.waitForExecution(id, { timeoutMs: 15_000 });
    expect(done.status).toBe('completed');
    expect(done.paused).toBeUndefined();
    expect(await lines(trace)).toEqual(['one', 'two', 'three']);
    expect(done.steps.map((s) => s.attempts)).toEqual([1, 1, 1]);
    // Resuming a run that is finished is refused.
    expect((await post(`/api/executions/${id}/resume`)).status).toBe(409);
  });

  it('holds a run paused right after it was queued, before any step started', async () => {
    const trace = join(files.path, 'early');
    const { executionId: id } = await t.stator.execute('chain', { trace });
    const paused = await post(`/api/executions/${id}/pause`, { by: 'early' });
    expect(paused.status).toBe(200);
    expect(paused.body.paused).toMatchObject({ by: 'early' });
    await sleep(1500);
    const run = await get(id);
    expect(run.steps.map((s) => s.status).slice(1)).toEqual(['pending', 'pending']);
    expect(await lines(trace)).not.toContain('two');
    await post(`/api/executions/${id}/resume`);
    expect((await t.stator.waitForExecution(id, { timeoutMs: 15_000 })).status).toBe('completed');
    expect(await lines(trace)).toEqual(['one', 'two', 'three']);
  });

  it('resumes a run that is not paused as a no-op', async () => {
    const trace = join(files.path, 'noop');
    const { executionId: id } = await t.stator.execute('chain', { trace });
    const res = await post(`/api/executions/${id}/resume`);
    expect(res.status).toBe(200);
    expect(res.body.paused).toBeUndefined();
    expect((await t.stator.waitForExecution(id, { timeoutMs: 15_000 })).status).toBe('completed');
  });

  it('pauses at a pauseBefore breakpoint, and resume starts that step', async () => {
    const trace = join(files.path, 'broken');
    const { executionId: id } = await t.stator.execute('broken', { trace });
    await until('paused at two', async () => (await get(id)).paused?.stepId === 'two');
    expect((await get(id)).paused).toMatchObject({ reason: 'breakpoint', stepId: 'two' });
    await sleep(500);
    expect((await step(id, 'two')).status).toBe('pending');
    await post(`/api/executions/${id}/resume`, { by: 'alice' });
    expect((await t.stator.waitForExecution(id, { timeoutMs: 15_000 })).status).toBe('completed');
    expect(await lines(trace)).toEqual(['one', 'two']);
  });

  it('is cancelled while paused', async () => {
    const trace = join(files.path, 'cancel');
    const { executionId: id } = await t.stator.execute('chain', { trace });
    await until('one running', async () => (await step(id, 'one')).status === 'running');
    await post(`/api/executions/${id}/pause`);
    await until('one done', async () => (await step(id, 'one')).status === 'succeeded');
    const cancelled = await post(`/api/executions/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const run = await get(id);
    expect(run.paused).toBeUndefined();
    expect(run.steps.map((s) => s.status)).toEqual(['succeeded', 'skipped', 'skipped']);
    expect(await lines(trace)).toEqual(['one']);
  });

  it('stays paused across a restart, starting nothing until resumed', async () => {
    const trace = join(files.path, 'restart');
    const { executionId: id } = await t.stator.execute('chain', { trace });
    await until('one running', async () => (await step(id, 'one')).status === 'running');
    await post(`/api/executions/${id}/pause`, { by: 'alice' });
    await until('one done', async () => (await step(id, 'one')).status === 'succeeded');
    await t.restart();
    await sleep(1500);
    const run = await get(id);
    expect(run.paused).toMatchObject({ by: 'alice', reason: 'request' });
    expect(run.steps.map((s) => s.status)).toEqual(['succeeded', 'pending', 'pending']);
    await post(`/api/executions/${id}/resume`);
    expect((await t.stator.waitForExecution(id, { timeoutMs: 15_000 })).status).toBe('completed');
    expect(await lines(trace)).toEqual(['one', 'two', 'three']);
  });

  it('refuses unknown and finished runs and hostile bodies', async () => {
    expect((await post('/api/executions/nope/pause')).status).toBe(404);
    expect((await post('/api/executions/nope/resume')).status).toBe(404);
    const { executionId: id } = await t.stator.execute('chain', { trace: join(files.path, 'x') });
    expect((await post(`/api/executions/${id}/pause`, '[1]')).status).toBe(422);
    expect((await post(`/api/executions/${id}/pause`, { by: 7 })).status).toBe(422);
    await t.stator.waitForExecution(id, { timeoutMs: 15_000 });
    const refused = await post(`/api/executions/${id}/pause`);
    expect(refused.status).toBe(409);
    expect(refused.body.error?.code).toBe('conflict');
  });
});

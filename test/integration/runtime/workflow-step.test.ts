/**
 * `workflow` steps (child runs) with real processes and a SQLite store: a child that succeeds
 * hands its outputs to the parent's later steps, and the records link both ways (the child's
 * `parent`, the step's `childExecutionId`); a failing child fails the step; cancelling the
 * parent cancels the child; an unknown workflow fails the step at once with the reason. Across a
 * kill -9 of the server (`stator serve` in a child process) while the child runs: after the
 * restart the parent re-attaches to the same child, exactly one child run exists, and the parent
 * completes.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChaosApi } from '../../chaos/api.ts';
import { startServer, type ServerProcess } from '../../chaos/server-process.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator, useTempDir } from '../../helpers/use-stator.ts';
import { childRunKey, MAX_CHILD_DEPTH } from '../../../src/runtime/calls/index.ts';

const EXAMPLES = join(import.meta.dirname, '../../../examples');

const CHILD_OK = {
  id: 'child-ok',
  inputs: { who: { type: 'string' } },
  steps: [
    { id: 'build', run: 'echo "version=1-$INPUT_WHO" >> "$STATOR_OUTPUT"' },
    { id: 'note', needs: ['build'], run: 'echo "note=done" >> "$STATOR_OUTPUT"' },
  ],
};
const CHILD_FAIL = { id: 'child-fail', steps: [{ id: 'boom', run: 'exit 3' }] };
const CHILD_SLOW = { id: 'child-slow', steps: [{ id: 'wait', sleep: '60s' }] };

describe('workflow steps', () => {
  const t = useStator({
    start: 'suite',
    workflows: [
      CHILD_OK,
      CHILD_FAIL,
      CHILD_SLOW,
      {
        id: 'parent-ok',
        inputs: { who: { type: 'string' } },
        steps: [
          { id: 'c', workflow: { name: 'child-ok', inputs: { who: '${{ inputs.who }}' } } },
          { id: 'after', needs: ['c'], exec: ['echo', 'got ${{ steps.c.outputs.version }}'] },
        ],
      },
      { id: 'parent-fail', steps: [{ id: 'c', workflow: { name: 'child-fail' } }] },
      { id: 'parent-slow', steps: [{ id: 'c', workflow: { name: 'child-slow' } }] },
      { id: 'loop', steps: [{ id: 'again', workflow: { name: 'loop' } }] },
      {
        id: 'parent-timeout',
        steps: [{ id: 'c', timeout: '500ms', workflow: { name: 'child-slow' } }],
      },
      {
        id: 'child-mid',
        steps: [
          { id: 'nap', sleep: '1500ms' },
          { id: 'v', needs: ['nap'], run: 'echo "v=3" >> "$STATOR_OUTPUT"' },
        ],
      },
      { id: 'parent-mid', steps: [{ id: 'c', workflow: { name: 'child-mid' } }] },
      {
        id: 'parent-unknown',
        steps: [{ id: 'c', retry: { attempts: 3, backoff: '10ms' }, workflow: { name: 'nope' } }],
      },
    ],
  });

  it('runs the child and hands its outputs on; the records link both ways', async () => {
    const { record } = await t.run('parent-ok', { who: 'me' }, 30_000);
    expect(record.status).toBe('completed');
    const step = record.steps.find((s) => s.id === 'c')!;
    expect(step.outputs).toEqual({ version: '1-me', note: 'done' });
    expect(step.childExecutionId).toMatch(/./);
    const child = await t.stator.getExecution(step.childExecutionId!);
    expect(child).toMatchObject({
      workflowId: 'child-ok',
      status: 'completed',
      input: { who: 'me' },
      parent: { executionId: record.id, stepId: 'c', attempt: 1 },
    });
    expect(await t.stator.logs(record.id, { stepId: 'after' })).toContain('got 1-me');
    expect(await t.stator.logs(record.id, { stepId: 'c' })).toMatch(
      /workflow: child run \S+ of 'child-ok' started/,
    );
  });

  it('fails the step when the child fails', async () => {
    const { record } = await t.run('parent-fail', {}, 30_000);
    expect(record.status).toBe('failed');
    const step = record.steps[0]!;
    expect(step.error).toMatch(/child run \S+ ended failed/);
    const child = await t.stator.getExecution(step.childExecutionId!);
    expect(child.status).toBe('failed');
  });

  it('cancels the child when the parent is cancelled', async () => {
    const { executionId } = await t.stator.execute('parent-slow');
    const started = await t.waitForEvent(
      (e) => e.type === 'step.child' && (e as { executionId?: string }).executionId === executionId,
    );
    const childId = (started as unknown as { childExecutionId: string }).childExecutionId;
    await waitFor(async () => (await t.stator.getExecution(childId)).status === 'running', {
      timeoutMs: 10_000,
      message: 'the child runs',
    });
    await t.stator.cancel(executionId);
    const child = await t.stator.waitForExecution(childId, { timeoutMs: 10_000 });
    expect(child.status).toBe('cancelled');
    expect((await t.stator.getExecution(executionId)).status).toBe('cancelled');
  });

  it('answers the same child for the same parent, step and attempt (the idempotency key)', async () => {
    const { executionId } = await t.stator.execute('parent-slow');
    const started = await t.waitForEvent(
      (e) => e.type === 'step.child' && (e as { executionId?: string }).executionId === executionId,
    );
    const childId = (started as unknown as { childExecutionId: string }).childExecutionId;
    // What a restarted attempt that never stored the child's id does: execute with the same key.
    const again = await t.stator.execute(
      'child-slow',
      {},
      {
        idempotencyKey: childRunKey(executionId, 'c', 1),
      },
    );
    expect(again).toEqual({ executionId: childId, replayed: true });
    await t.stator.cancel(executionId);
    await t.stator.waitForExecution(childId, { timeoutMs: 10_000 });
  });

  it('refuses child runs nested deeper than the bound (a workflow starting itself)', async () => {
    const { record } = await t.run('loop', {}, 30_000);
    expect(record.status).toBe('failed');
    const { items } = await t.stator.listExecutions({ workflowId: 'loop', limit: 100 });
    expect(items).toHaveLength(MAX_CHILD_DEPTH + 1);
    expect(items.every((r) => r.status === 'failed')).toBe(true);
    const deepest = await t.stator.getExecution(items[0]!.id);
    expect(deepest.steps[0]!.error).toMatch(/nest at most 8 deep/);
  });

  it('cancels the child when the step times out', async () => {
    const { record } = await t.run('parent-timeout', {}, 30_000);
    expect(record.steps[0]).toMatchObject({ status: 'timed_out' });
    const child = await t.stator.waitForExecution(record.steps[0]!.childExecutionId!, {
      timeoutMs: 10_000,
    });
    expect(child.status).toBe('cancelled');
  });

  it('leaves the child running across a restart of the server, and re-attaches', async () => {
    const { executionId } = await t.stator.execute('parent-mid');
    const started = await t.waitForEvent(
      (e) => e.type === 'step.child' && (e as { executionId?: string }).executionId === executionId,
    );
    const childId = (started as unknown as { childExecutionId: string }).childExecutionId;
    await t.restart();
    const record = await t.finish(executionId, 30_000);
    expect(record.status).toBe('completed');
    expect(record.steps[0]).toMatchObject({ childExecutionId: childId, outputs: { v: '3' } });
    const { items } = await t.stator.listExecutions({ workflowId: 'child-mid' });
    expect(items.map((r) => [r.id, r.status])).toEqual([[childId, 'completed']]);
  });

  it('runs examples/child-run.yaml through examples/hello.yaml', async () => {
    for (const file of ['hello.yaml', 'child-run.yaml']) {
      await t.stator.registerWorkflow(await readFile(join(EXAMPLES, file), 'utf8'));
    }
    const { record } = await t.run('child-run', {}, 30_000);
    expect(record.status).toBe('completed');
    const child = await t.stator.getExecution(record.steps[1]!.childExecutionId!);
    expect(await t.stator.logs(child.id)).toContain('hello, stator-team');
    expect(await t.stator.logs(record.id, { stepId: 'report' })).toContain('greeted stator-team');
  });

  it('fails at once, without retrying, when the workflow is not registered', async () => {
    const { record } = await t.run('parent-unknown', {}, 30_000);
    expect(record.status).toBe('failed');
    expect(record.steps[0]).toMatchObject({ attempts: 1 });
    expect(record.steps[0]!.error).toMatch(/workflow 'nope' is not registered/);
  });
});

describe('workflow steps across a kill -9 of the server', () => {
  const data = useTempDir('stator-child-data-');
  const workflows = useTempDir('stator-child-wf-');
  const scratch = useTempDir('stator-child-files-');
  let server: ServerProcess | undefined;
  afterEach(async () => {
    if (server?.running()) await server.kill9();
    server = undefined;
  });

  it('re-attach to the same child: one child run, and the parent completes', async () => {
    const files = scratch.path;
    const start = () => startServer({ dataDir: data.path, workflowsDir: workflows.path });
    server = await start();
    const api = new ChaosApi(() => server!.url);
    await api.register({
      id: 'kid',
      steps: [
        // Long enough to kill the server while it runs.
        { id: 'work', run: `touch '${files}/kid'; sleep 3; echo "answer=42" >> "$STATOR_OUTPUT"` },
      ],
    });
    await api.register({
      id: 'mom',
      steps: [
        { id: 'c', workflow: { name: 'kid' } },
        { id: 'use', needs: ['c'], exec: ['echo', 'answer ${{ steps.c.outputs.answer }}'] },
      ],
    });
    const id = await api.execute('mom');
    await waitFor(() => readdir(files).then((f) => f.includes('kid')), {
      timeoutMs: 30_000,
      message: 'the child started',
    });
    await server.kill9();
    server = await start();
    const done = await waitFor(
      async () => {
        const rec = await api.execution(id);
        return rec.status === 'completed' || rec.status === 'failed' ? rec : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: 'the parent ended after the restart' },
    );
    expect(done.status).toBe('completed');
    const kids = await api.allExecutions({ workflowId: 'kid' });
    expect(kids).toHaveLength(1);
    const step = (done.steps as Array<{ id: string; childExecutionId?: string }>).find(
      (s) => s.id === 'c',
    )!;
    expect(step.childExecutionId).toBe(kids[0]!.id);
    const kid = await api.call<{ status: string; parent?: unknown }>(
      'GET',
      `/api/executions/${kids[0]!.id}`,
    );
    expect(kid).toMatchObject({
      status: 'completed',
      parent: { executionId: id, stepId: 'c', attempt: 1 },
    });
    const logs = await api.logs(id);
    expect(logs).toContain('answer 42');
    expect(logs).toMatch(/child run \S+ of 'kid' re-attached/);
  }, 120_000);
});

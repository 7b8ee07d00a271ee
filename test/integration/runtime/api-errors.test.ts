import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { rejection } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

describe('runtime: structured errors of the library API', () => {
  const t = useStator({
    store: 'memory',
    workflows: [
      { id: 'quick', steps: [{ id: 'only', run: 'true' }] },
      // Outlasts any test: it is cancelled or left to the teardown.
      { id: 'slow', steps: [{ id: 'nap', run: 'sleep 30' }] },
    ],
  });

  it('waitForExecution rejects with timeout when the run outlasts timeoutMs', async () => {
    const { executionId } = await t.stator.execute('slow');
    const t0 = performance.now();
    const err = await rejection(t.stator.waitForExecution(executionId, { timeoutMs: 300 }));
    expect(err.code).toBe('timeout');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    // The run itself is untouched by the waiter giving up.
    expect((await t.stator.getExecution(executionId)).status).toMatch(/^(pending|running)$/);
    expect((await t.stator.cancel(executionId)).status).toBe('cancelled');
  });

  it('getExecution, logs and cancel of an unknown id reject with not_found', async () => {
    for (const call of [
      t.stator.getExecution('ex_nope'),
      t.stator.logs('ex_nope'),
      t.stator.cancel('ex_nope'),
      t.stator.waitForExecution('ex_nope', { timeoutMs: 1000 }),
    ]) {
      const err = await rejection(call);
      expect(err.code).toBe('not_found');
      expect((err as { details?: unknown }).details).toMatchObject({ id: 'ex_nope' });
    }
  });

  it('getWorkflow, execute and deleteWorkflow of an unknown workflow reject with not_found', async () => {
    expect((await rejection(t.stator.getWorkflow('ghost'))).code).toBe('not_found');
    expect((await rejection(t.stator.execute('ghost'))).code).toBe('not_found');
    expect((await rejection(t.stator.deleteWorkflow('ghost'))).code).toBe('not_found');
    expect((await t.stator.listExecutions()).items).toEqual([]);
  });

  it('cancel of a finished run rejects with conflict and changes nothing', async () => {
    const { record } = await t.run('quick');
    expect(record.status).toBe('completed');
    const err = await rejection(t.stator.cancel(record.id));
    expect(err.code).toBe('conflict');
    expect((err as { details?: unknown }).details).toMatchObject({ status: 'completed' });
    expect(await t.stator.getExecution(record.id)).toEqual(record);
  });

  it('an invalid workflow is rejected with invalid_workflow or invalid_argument and not stored', async () => {
    const err = await rejection(
      t.stator.registerWorkflow({
        id: 'cyclic',
        steps: [
          { id: 'a', needs: ['b'], run: 'true' },
          { id: 'b', needs: ['a'], run: 'true' },
        ],
      }),
    );
    expect(['invalid_workflow', 'invalid_argument']).toContain(err.code);
    expect((await rejection(t.stator.getWorkflow('cyclic'))).code).toBe('not_found');
  });

  it('after close, execute and registerWorkflow reject with unavailable', async () => {
    await t.stator.close();
    expect((await rejection(t.stator.execute('quick'))).code).toBe('unavailable');
    expect(
      (await rejection(t.stator.registerWorkflow({ id: 'late', steps: [{ id: 'x', noop: true }] })))
        .code,
    ).toBe('unavailable');
    expect((await t.stator.health()).status).toBe('closing');
  });
});

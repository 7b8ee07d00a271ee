import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DIAMOND_WORKFLOW } from '../../fixtures/runtime/workflows.ts';
import { useStator } from '../../helpers/use-stator.ts';

const SLOW = 30_000;

describe('runtime: persistence across restarts (SQLite)', () => {
  const t = useStator({ store: 'sqlite', maxLogLinesPerStep: 100 });

  it(
    'keeps workflows, finished executions, exit codes and logs after close and reopen',
    { timeout: SLOW },
    async () => {
      expect(existsSync(join(t.dataDir, 'stator.db'))).toBe(true);
      await t.stator.registerWorkflow(DIAMOND_WORKFLOW);
      const yaml = [
        'id: mixed',
        'steps:',
        '  - id: ok',
        '    run: echo out; echo err >&2',
        '  - id: bad',
        '    needs: [ok]',
        '    run: echo failing; exit 7',
        '    continueOnError: true',
      ].join('\n');
      await t.stator.registerWorkflow(yaml);
      const diamond = await t.run('diamond');
      const mixed = await t.run('mixed');
      expect(diamond.record.status).toBe('completed');
      expect(mixed.record.status).toBe('completed');
      const logsBefore = await t.stator.logs(mixed.record.id);

      const stator = await t.restart();
      const workflows = await stator.listWorkflows();
      expect(workflows.items.map((w) => w.id).sort()).toEqual(['diamond', 'mixed']);
      const mixedDef = await stator.getWorkflow('mixed');
      expect(mixedDef.source).toBe(yaml);
      expect(mixedDef.version).toBe(1);
      expect(mixedDef.definition.steps.map((s) => s.id)).toEqual(['ok', 'bad']);

      expect(await stator.getExecution(diamond.record.id)).toEqual(diamond.record);
      const again = await stator.getExecution(mixed.record.id);
      expect(again).toEqual(mixed.record);
      expect(again.steps).toMatchObject([
        { id: 'ok', status: 'succeeded', exitCode: 0, attempts: 1 },
        { id: 'bad', status: 'failed', exitCode: 7, attempts: 1, error: 'exit code 7' },
      ]);
      const listed = await stator.listExecutions();
      expect(listed.items.map((e) => e.id).sort()).toEqual(
        [diamond.record.id, mixed.record.id].sort(),
      );

      const logs = await stator.logs(mixed.record.id);
      expect(logs).toBe(logsBefore);
      expect(logs).toContain('ok stdout | out\n');
      expect(logs).toContain('ok stderr | err\n');
      expect(logs).toContain('bad stdout | failing\n');
      expect(await stator.logs(mixed.record.id, { stepId: 'bad' })).toBe('bad stdout | failing\n');
      // Nothing was unfinished, so nothing was rehydrated.
      expect((await stator.health()).activeExecutions).toBe(0);
    },
  );

  it(
    'keeps the last maxLogLinesPerStep lines of a chatty step and marks the truncation',
    { timeout: SLOW },
    async () => {
      await t.stator.registerWorkflow({
        id: 'chatty',
        steps: [{ id: 'spam', run: 'seq 1 5000' }],
      });
      const { record, events } = await t.run('chatty');
      expect(record.status).toBe('completed');
      expect(events.filter((e) => e.type === 'step.stdout')).toHaveLength(5000);

      const check = (text: string) => {
        const lines = text.trimEnd().split('\n');
        expect(lines).toHaveLength(101);
        expect(lines[0]).toBe('spam stdout | [… 4900 earlier lines truncated]');
        expect(lines[1]).toBe('spam stdout | 4901');
        expect(lines.at(-1)).toBe('spam stdout | 5000');
        for (const line of lines.slice(1)) expect(line).toMatch(/^spam stdout \| \d+$/);
      };
      check(await t.stator.logs(record.id));
      const stator = await t.restart();
      check(await stator.logs(record.id));
    },
  );
});

describe.each(['sqlite', 'memory'] as const)(
  'runtime: the record waitForExecution hands back (%s store)',
  (store) => {
    const t = useStator({ store });

    const cases = {
      completed: {
        id: 'mixed-outcomes',
        steps: [
          { id: 'flaky', run: 'test "$STATOR_ATTEMPT" -ge 2', retry: { attempts: 2, backoff: 10 } },
          { id: 'tolerated', needs: ['flaky'], run: 'exit 3', continueOnError: true },
          { id: 'pass', needs: ['tolerated'], noop: true },
        ],
      },
      failed: {
        id: 'fails',
        steps: [
          { id: 'bad', exec: ['false'] },
          { id: 'never', needs: ['bad'], noop: true },
        ],
      },
      timed_out: {
        id: 'slow',
        timeout: '150ms',
        steps: [{ id: 'sleeper', run: 'sleep 5' }],
      },
    };

    it.each(Object.entries(cases))(
      'equals the stored record of a run that ended %s',
      { timeout: SLOW },
      async (status, workflow) => {
        await t.stator.registerWorkflow(workflow);
        const { executionId } = await t.stator.execute(workflow.id);
        const waited = await t.stator.waitForExecution(executionId, { timeoutMs: 20_000 });
        expect(waited.status).toBe(status);
        expect(waited).toEqual(await t.stator.getExecution(executionId));
        expect(waited.finishedAt).not.toBeNull();
        // The caller owns what it got: changing it changes neither the store nor later runs.
        expect(() => {
          (waited.definition.steps[0] as { id: string }).id = 'changed';
        }).toThrow(TypeError);
        waited.steps[0]!.status = 'pending';
        expect((await t.stator.getExecution(executionId)).steps[0]!.status).not.toBe('pending');
      },
    );

    it('gives a cancelled run the stored record too', { timeout: SLOW }, async () => {
      await t.stator.registerWorkflow({ id: 'long', steps: [{ id: 'wait', run: 'sleep 5' }] });
      const { executionId } = await t.stator.execute('long');
      await t.waitForEvent((e) => e.type === 'step.started' && e.executionId === executionId);
      const waiting = t.stator.waitForExecution(executionId, { timeoutMs: 20_000 });
      const cancelled = await t.stator.cancel(executionId);
      const waited = await waiting;
      expect(waited.status).toBe('cancelled');
      expect(waited).toEqual(cancelled);
      expect(waited).toEqual(await t.stator.getExecution(executionId));
    });
  },
);

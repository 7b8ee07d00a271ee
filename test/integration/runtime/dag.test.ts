import { describe, expect, it } from 'vitest';
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { isGone, waitGone } from '../../fixtures/exec/process-tracker.ts';
import { DIAMOND_WORKFLOW, PROCESS_TREE_SCRIPT } from '../../fixtures/runtime/workflows.ts';
import { indexOfEvent, ms, readPid, type StampedExecutionEvent } from '../../helpers/stator.ts';
import { useStator } from '../../helpers/use-stator.ts';

const SLOW = 30_000;

/** Most steps running at once, replayed from step events in delivery order. */
function peakRunning(events: readonly StampedExecutionEvent[]): number {
  let running = 0;
  let peak = 0;
  for (const e of events) {
    if (e.type === 'step.started') peak = Math.max(peak, ++running);
    if (/^step\.(completed|failed|timed_out|cancelled)$/.test(e.type)) running--;
  }
  return peak;
}

describe('runtime: DAG scheduling and failure semantics', () => {
  const t = useStator();

  it('runs a diamond with b and c in parallel, in causal order, in under 1.3 s', async () => {
    await t.stator.registerWorkflow(DIAMOND_WORKFLOW);
    const t0 = performance.now();
    const { executionId } = await t.stator.execute('diamond');
    const record = await t.stator.waitForExecution(executionId, { timeoutMs: 10_000 });
    const elapsed = performance.now() - t0;

    expect(record.status).toBe('completed');
    expect(elapsed).toBeLessThan(1300);
    for (const step of record.steps) {
      expect(step.status).toBe('succeeded');
      expect(step.attempts).toBe(1);
      expect(step.exitCode).toBe(0);
      expect(ms(step.finishedAt)).toBeGreaterThanOrEqual(ms(step.startedAt));
    }
    const [a, b, c, d] = record.steps;
    expect(ms(b!.startedAt)).toBeGreaterThanOrEqual(ms(a!.finishedAt));
    expect(ms(c!.startedAt)).toBeGreaterThanOrEqual(ms(a!.finishedAt));
    expect(ms(d!.startedAt)).toBeGreaterThanOrEqual(Math.max(ms(b!.finishedAt), ms(c!.finishedAt)));
    // b and c overlapped: each started before the other finished.
    expect(ms(b!.startedAt)).toBeLessThan(ms(c!.finishedAt));
    expect(ms(c!.startedAt)).toBeLessThan(ms(b!.finishedAt));

    await t.finish(executionId);
    const events = t.eventsOf(executionId);
    const at = (type: string, step?: string) => {
      const i = indexOfEvent(events, type, step);
      expect(i, `${type} ${step ?? ''}`).toBeGreaterThanOrEqual(0);
      return i;
    };
    expect(at('execution.started')).toBeLessThan(at('step.started', 'a'));
    for (const mid of ['b', 'c']) {
      expect(at('step.completed', 'a')).toBeLessThan(at('step.started', mid));
      expect(at('step.completed', mid)).toBeLessThan(at('step.started', 'd'));
    }
    expect(at('step.completed', 'd')).toBeLessThan(at('execution.completed'));
    expect(events.at(-1)!.type).toBe('execution.completed');
    expect(events.filter((e) => e.type === 'step.started')).toHaveLength(4);
    const seqs = t.events.map((e) => e.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
  });

  it(
    'a failing step cancels running siblings (process tree gone) and skips unstarted steps',
    { timeout: SLOW },
    async () => {
      await t.stator.registerWorkflow({
        id: 'fail-fast',
        env: { PID_DIR: t.files },
        steps: [
          { id: 'slow', run: PROCESS_TREE_SCRIPT },
          {
            id: 'boom',
            // Fail only once slow's whole tree is up (bounded: about 10 s).
            run: `i=0; while [ ! -s "$PID_DIR/slow.grandchild" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; echo boom >&2; exit 3`,
          },
          { id: 'after-slow', needs: ['slow'], run: 'echo never' },
          { id: 'after-boom', needs: ['boom'], run: 'echo never' },
        ],
      });
      const { record, events } = await t.run('fail-fast');
      const shell = await readPid(join(t.files, 'slow.shell'));
      const grandchild = await readPid(join(t.files, 'slow.grandchild'));
      t.processes.track(shell);
      t.processes.track(grandchild);

      expect(record.status).toBe('failed');
      expect(record.error?.code).toBe('non_retryable');
      expect(record.error?.details).toMatchObject({ stepId: 'boom', exitCode: 3 });
      const byId = Object.fromEntries(record.steps.map((s) => [s.id, s]));
      expect(byId.boom).toMatchObject({ status: 'failed', exitCode: 3, attempts: 1 });
      expect(byId.slow!.status).toBe('cancelled');
      expect(byId['after-slow']!.status).toBe('skipped');
      expect(byId['after-boom']!.status).toBe('skipped');
      expect(indexOfEvent(events, 'step.cancelled', 'slow')).toBeGreaterThanOrEqual(0);
      expect(indexOfEvent(events, 'step.skipped', 'after-slow')).toBeGreaterThanOrEqual(0);
      expect(indexOfEvent(events, 'step.started', 'after-slow')).toBe(-1);
      expect(events.at(-1)!.type).toBe('execution.failed');

      expect(await waitGone(shell, 10_000)).toBe(true);
      expect(await waitGone(grandchild, 10_000)).toBe(true);
      expect(await t.stator.logs(record.id)).toContain('boom stderr | boom\n');
    },
  );

  it('continueOnError lets the run go on and complete', async () => {
    await t.stator.registerWorkflow({
      id: 'tolerant',
      steps: [
        { id: 'flaky', run: 'exit 2', continueOnError: true },
        { id: 'next', needs: ['flaky'], run: 'echo next' },
      ],
    });
    const { record, events } = await t.run('tolerant');
    expect(record.status).toBe('completed');
    expect(record.error).toBeNull();
    expect(record.steps[0]).toMatchObject({ id: 'flaky', status: 'failed', exitCode: 2 });
    expect(record.steps[1]).toMatchObject({ id: 'next', status: 'succeeded', exitCode: 0 });
    expect(indexOfEvent(events, 'step.failed', 'flaky')).toBeLessThan(
      indexOfEvent(events, 'step.started', 'next'),
    );
  });

  it('never runs more steps at once than the run concurrency', { timeout: SLOW }, async () => {
    await t.stator.registerWorkflow({
      id: 'narrow',
      concurrency: 2,
      // Steps that last, so that without the limit all six would run at once.
      steps: Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, run: 'sleep 0.3' })),
    });
    const t0 = performance.now();
    const { record, events } = await t.run('narrow', {}, 20_000);
    const elapsed = performance.now() - t0;
    expect(record.status).toBe('completed');
    expect(events.filter((e) => e.type === 'step.started')).toHaveLength(6);
    expect(peakRunning(events)).toBe(2);
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(ms(record.finishedAt) - ms(record.startedAt)).toBeGreaterThanOrEqual(900);
  });

  it(
    'a run-level timeout ends the run timed_out and kills its processes',
    { timeout: SLOW },
    async () => {
      await t.stator.registerWorkflow({
        id: 'bounded-run',
        timeout: '1s',
        env: { PID_DIR: t.files },
        steps: [
          { id: 'tree', run: PROCESS_TREE_SCRIPT },
          { id: 'later', needs: ['tree'], run: 'echo never' },
        ],
      });
      const { record, events } = await t.run('bounded-run');
      expect(record.status).toBe('timed_out');
      expect(record.error?.code).toBe('timeout');
      expect(record.steps[0]!.status).toBe('timed_out');
      expect(record.steps[1]!.status).toBe('skipped');
      expect(events.at(-1)!.type).toBe('execution.timed_out');
      const pids = [
        await readPid(join(t.files, 'tree.shell')),
        await readPid(join(t.files, 'tree.grandchild')),
      ];
      for (const pid of pids) t.processes.track(pid);
      for (const pid of pids) expect(await waitGone(pid, 10_000)).toBe(true);
      expect(pids.every(isGone)).toBe(true);
    },
  );
});

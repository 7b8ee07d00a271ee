/**
 * What a retry keeps and what it runs again (retry-plan.ts), over DAGs with failed, skipped,
 * cancelled and succeeded steps, `from`, a changed definition and forEach instances.
 */
import { describe, expect, it } from 'vitest';
import { planRetry } from '../../../../src/runtime/service/retry-plan.ts';
import { pendingStep, type StepRecord, type StepStatus } from '../../../../src/store/index.ts';
import { parseWorkflow, type WorkflowDefinition } from '../../../../src/workflow/index.ts';

function definition(steps: Array<Record<string, unknown>>): WorkflowDefinition {
  return parseWorkflow({ id: 'wf', steps });
}

function rec(id: string, status: StepStatus, extra: Partial<StepRecord> = {}): StepRecord {
  return { ...pendingStep(id), status, attempts: status === 'skipped' ? 0 : 1, ...extra };
}

// a → b → c, a → d (parallel branch), d → e
const DAG = definition([
  { id: 'a', run: 'true' },
  { id: 'b', needs: ['a'], run: 'true' },
  { id: 'c', needs: ['b'], run: 'true' },
  { id: 'd', needs: ['a'], run: 'true' },
  { id: 'e', needs: ['d'], run: 'true' },
]);

describe('planRetry', () => {
  it('runs what did not succeed and what follows it; keeps the rest as it was', () => {
    const old = {
      definition: DAG,
      steps: [
        rec('a', 'succeeded', { outputs: { k: 'v' }, startedAt: 't0', finishedAt: 't1' }),
        rec('b', 'failed', { exitCode: 3 }),
        rec('c', 'skipped'),
        rec('d', 'succeeded'),
        rec('e', 'succeeded'),
      ],
    };
    const plan = planRetry(old, DAG);
    expect(plan.kept).toEqual(['a', 'd', 'e']);
    expect(plan.rerun).toEqual(['b', 'c']);
    expect(plan.steps[0]).toEqual({ ...old.steps[0], reused: true });
    expect(plan.steps[1]).toEqual(pendingStep('b'));
    // The old records are not touched.
    expect(old.steps[0]).not.toHaveProperty('reused');
  });

  it('with from, runs that step and its dependents too, and never keeps a failure', () => {
    const old = {
      definition: DAG,
      steps: [
        rec('a', 'succeeded'),
        rec('b', 'succeeded'),
        rec('c', 'cancelled'),
        rec('d', 'succeeded'),
        rec('e', 'succeeded'),
      ],
    };
    expect(planRetry(old, DAG, 'd').rerun).toEqual(['c', 'd', 'e']);
    expect(planRetry(old, DAG, 'a').kept).toEqual([]);
    expect(() => planRetry(old, DAG, 'zz')).toThrow(/no step 'zz'/);
  });

  it('with a newer definition, runs changed and new steps and their dependents', () => {
    const latest = definition([
      { id: 'a', run: 'true' },
      { id: 'b', needs: ['a'], run: 'true' },
      { id: 'c', needs: ['b'], run: 'echo changed' },
      { id: 'd', needs: ['a'], run: 'true' },
      { id: 'e', needs: ['d'], run: 'true' },
      { id: 'f', needs: ['a'], run: 'true' },
    ]);
    const old = {
      definition: DAG,
      steps: ['a', 'b', 'c', 'd'].map((id) => rec(id, 'succeeded')).concat(rec('e', 'failed')),
    };
    const plan = planRetry(old, latest);
    expect(plan.kept).toEqual(['a', 'b', 'd']);
    expect(plan.rerun).toEqual(['c', 'e', 'f']);
  });

  it('keeps the succeeded instances of a forEach step that failed on its own', () => {
    const fan = definition([
      { id: 'a', run: 'true' },
      { id: 'x', needs: ['a'], forEach: [1, 2, 3], run: 'true' },
      { id: 'y', needs: ['x'], run: 'true' },
    ]);
    const steps = [
      rec('a', 'succeeded'),
      rec('x', 'failed', { items: 3 }),
      rec('y', 'skipped'),
      rec('x[0]', 'succeeded', { outputs: { n: 1 } }),
      rec('x[1]', 'failed'),
      rec('x[2]', 'cancelled'),
    ];
    const plan = planRetry({ definition: fan, steps }, fan);
    expect(plan.rerun).toEqual(['x', 'y']);
    expect(plan.steps.map((s) => [s.id, s.status, s.reused === true])).toEqual([
      ['a', 'succeeded', true],
      ['x', 'pending', false],
      ['y', 'pending', false],
      ['x[0]', 'succeeded', true],
    ]);
    // From the fan-out (or upstream of it): it runs as a whole.
    expect(planRetry({ definition: fan, steps }, fan, 'x').steps.map((s) => s.id)).toEqual([
      'a',
      'x',
      'y',
    ]);
    // A kept fan-out keeps every instance record.
    const done = [
      rec('a', 'succeeded'),
      rec('x', 'succeeded', { items: 1 }),
      rec('y', 'failed'),
      rec('x[0]', 'succeeded'),
    ];
    expect(planRetry({ definition: fan, steps: done }, fan).kept).toEqual(['a', 'x']);
    expect(planRetry({ definition: fan, steps: done }, fan).steps).toHaveLength(4);
  });
});

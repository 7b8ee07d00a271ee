/**
 * A retry of a rolled-back run (retry-plan.ts): the steps whose rollback ran were undone, so
 * they run again with their dependents; a step that succeeded and was not rolled back is kept;
 * rollback records are not carried into the new run.
 */
import { describe, expect, it } from 'vitest';
import { planRetry } from '../../../../src/runtime/service/retry-plan.ts';
import { pendingStep, type StepRecord, type StepStatus } from '../../../../src/store/index.ts';
import { parseWorkflow } from '../../../../src/workflow/index.ts';

function rec(id: string, status: StepStatus): StepRecord {
  return { ...pendingStep(id), status, attempts: 1 };
}

// a → b → c → d; a and b have rollbacks, x (parallel, no rollback) succeeded.
const DAG = parseWorkflow({
  id: 'wf',
  steps: [
    { id: 'a', run: 'true', rollback: { run: 'undo a' } },
    { id: 'b', needs: ['a'], run: 'true', rollback: { run: 'undo b' } },
    { id: 'c', needs: ['b'], run: 'false' },
    { id: 'd', needs: ['c'], run: 'true' },
    { id: 'x', run: 'true' },
  ],
});

describe('planRetry of a rolled-back run', () => {
  it('runs the rolled-back steps again (their effect was undone), keeps the others', () => {
    const old = {
      definition: DAG,
      steps: [
        rec('a', 'succeeded'),
        rec('b', 'succeeded'),
        rec('c', 'failed'),
        rec('d', 'skipped'),
        rec('x', 'succeeded'),
        rec('b:rollback', 'succeeded'),
        rec('a:rollback', 'failed'),
      ],
    };
    const plan = planRetry(old, DAG);
    expect(plan.kept).toEqual(['x']);
    expect(plan.rerun).toEqual(['a', 'b', 'c', 'd']);
    expect(plan.steps.map((s) => s.id)).toEqual(['a', 'b', 'c', 'd', 'x']);
  });

  it('keeps a succeeded step whose rollback never started', () => {
    const old = {
      definition: DAG,
      steps: [
        rec('a', 'succeeded'),
        rec('b', 'succeeded'),
        rec('c', 'failed'),
        rec('d', 'skipped'),
        rec('x', 'succeeded'),
        rec('b:rollback', 'succeeded'),
      ],
    };
    const plan = planRetry(old, DAG);
    expect(plan.kept).toEqual(['a', 'x']);
    expect(plan.rerun).toEqual(['b', 'c', 'd']);
  });
});

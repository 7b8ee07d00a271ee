/**
 * The `expandItems` actor supplied to step machines: makes a forEach step's list, its literal
 * list or its CEL expression (src/workflow/for-each.ts) evaluated over the run's inputs, the
 * workflow's and step's `env`, the run's ids, and the status and outputs of the steps the
 * expression names (only those are looked up). A list that is not one, too long or too big
 * fails the step for good: evaluating it again would give the same.
 * @module
 */
import { fromPromise } from 'xstate';
import type { ConditionInput } from '../../machines/step.machine.ts';
import { NonRetryableError } from '../errors.ts';
import { conditionSteps, evaluateForEach, type ConditionContext } from '../workflow/index.ts';
import type { ExecutionContextLookup } from './attempt-actor.ts';
import { conditionStepView } from './condition-actor.ts';

/** Builds the `expandItems` actor logic. */
export function createForEachActor(deps: { executions: ExecutionContextLookup }) {
  return fromPromise<unknown[], ConditionInput>(async function expandItems({ input }) {
    const run = deps.executions(input.executionId);
    if (!run) throw new NonRetryableError('run context is gone');
    const source = input.step.forEach;
    const steps: ConditionContext['steps'] = {};
    if (typeof source === 'string') {
      for (const id of conditionSteps(source)) {
        const view = conditionStepView(input, id);
        if (view) steps[id] = view;
      }
    }
    const items = evaluateForEach(input.step, {
      inputs: run.inputs,
      steps,
      env: { ...run.definition.env, ...input.step.env },
      execution: { id: input.executionId, workflowId: input.workflowId },
    });
    if (items instanceof Error) throw new NonRetryableError(items.message);
    return items;
  });
}

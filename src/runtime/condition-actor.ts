/**
 * The `checkCondition` actor supplied to step machines: evaluates a step's `if` (CEL, see
 * src/workflow/conditions.ts) against the run's inputs, the workflow's and step's `env`, the
 * run's ids, and the status and outputs of the steps the expression names. Only those steps are
 * looked up, so a condition costs the same in a run of ten steps or ten thousand.
 * @module
 */
import { fromPromise } from 'xstate';
import type { ConditionInput } from '../../machines/step.machine.ts';
import { NonRetryableError } from '../errors.ts';
import { conditionSteps, evaluateCondition, type ConditionContext } from '../workflow/index.ts';
import type { ExecutionContextLookup } from './attempt-actor.ts';

/** Builds the `checkCondition` actor logic. */
export function createConditionActor(deps: { executions: ExecutionContextLookup }) {
  return fromPromise<boolean, ConditionInput>(async function checkCondition({ input }) {
    const expression = input.step.if;
    if (expression === undefined) return true;
    const run = deps.executions(input.executionId);
    if (!run) throw new NonRetryableError('run context is gone');
    const steps: ConditionContext['steps'] = {};
    for (const id of conditionSteps(expression)) {
      const view = conditionStepView(input, id);
      if (view) steps[id] = view;
    }
    const held = evaluateCondition(expression, {
      inputs: run.inputs,
      steps,
      env: { ...run.definition.env, ...input.step.env },
      execution: { id: input.executionId, workflowId: input.workflowId },
    });
    if (held instanceof Error) throw new NonRetryableError(held.message);
    return held;
  });
}

/**
 * What a CEL expression sees of step `id`: its status and outputs (a forEach step's outputs are
 * a list); undefined when the run has no such step.
 */
export function conditionStepView(
  input: Pick<ConditionInput, 'stepIndex' | 'statuses' | 'outputs'>,
  id: string,
): ConditionContext['steps'][string] | undefined {
  const i = input.stepIndex[id];
  if (i === undefined) return undefined;
  const outputs: unknown = input.outputs[id];
  return {
    status: input.statuses[i] ?? 'pending',
    outputs: (Array.isArray(outputs) ? outputs : { ...input.outputs[id] }) as Record<
      string,
      unknown
    >,
  };
}

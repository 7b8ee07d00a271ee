/**
 * What the API shows of stored records: execution details without the (possibly huge)
 * definition, and workflow summaries for lists.
 * @module
 */
import type { ExecutionRecord, StepRecord, WorkflowRecord } from '../store/index.ts';
// eslint-disable-next-line no-restricted-imports -- cycle: runtime/index.ts imports this module
import type { ExecutionView } from '../runtime/types.ts';

/** An execution as `execution.get` and `execution.cancel` answer it. */
export type ExecutionDetail = Omit<ExecutionRecord, 'definition'> & { steps: StepRecord[] };

/** A workflow as `workflow.list` shows it. */
export interface WorkflowSummary {
  id: string;
  name?: string;
  description?: string;
  version: number;
  stepCount: number;
  createdAt: string;
  updatedAt: string;
}

/** Drops the definition from an execution record; steps keep their stored fields. */
export function toExecutionDetail(record: ExecutionView): ExecutionDetail {
  const { definition: _definition, steps, ...summary } = record;
  return {
    ...summary,
    steps: steps.map((s) => ({
      id: s.id,
      status: s.status,
      attempts: s.attempts,
      exitCode: s.exitCode,
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
      error: s.error,
      // Always shown: how many attempts were lost with their process (0 on most steps).
      lostAttempts: s.lostAttempts ?? 0,
      ...(s.attemptStartedAt && { attemptStartedAt: s.attemptStartedAt }),
      ...(s.retryAt && { retryAt: s.retryAt }),
      ...(s.outputs !== undefined && { outputs: s.outputs }),
      ...(s.childExecutionId !== undefined && { childExecutionId: s.childExecutionId }),
      ...(s.items !== undefined && { items: s.items }),
      ...(s.reused === true && { reused: true as const }),
      // An approval step: what it asked, its deadline, and who decided, when and why.
      ...(s.approval !== undefined && { approval: s.approval }),
    })),
  };
}

/** Summarises a workflow record for lists. */
export function toWorkflowSummary(record: WorkflowRecord): WorkflowSummary {
  const { definition } = record;
  const summary: WorkflowSummary = {
    id: record.id,
    version: record.version,
    stepCount: definition.steps.length,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
  if (definition.name !== undefined) summary.name = definition.name;
  if (definition.description !== undefined) summary.description = definition.description;
  return summary;
}

/**
 * What the API shows of stored records: execution details without the (possibly huge)
 * definition, and workflow summaries for lists.
 * @module
 */
import type { ExecutionRecord, StepRecord, WorkflowRecord } from '../store/index.ts';
import { ROLLBACK_SUFFIX } from '../workflow/index.ts';
// eslint-disable-next-line no-restricted-imports -- cycle: runtime/index.ts imports this module
import type { ExecutionView } from '../runtime/types.ts';

/** An execution as `execution.get` and `execution.cancel` answer it. */
export type ExecutionDetail = Omit<ExecutionRecord, 'definition'> & {
  steps: Array<StepRecord & { rollback?: StepRollback }>;
};

/**
 * How a step's rollback went (`rolling_back` while it runs): shown on the step, from the
 * rollback's own record `<id>:rollback` (whose logs are under that id).
 */
export interface StepRollback {
  status: 'rolling_back' | 'rolled_back' | 'rollback_failed';
  attempts: number;
  error?: string;
  startedAt: string | null;
  finishedAt: string | null;
}

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
  const { definition: _definition, steps: all, ...summary } = record;
  // A rollback's record (`<id>:rollback`) is shown on its step as `rollback`.
  const rollbacks = new Map<string, StepRollback>();
  for (const s of all) {
    if (!s.id.endsWith(ROLLBACK_SUFFIX)) continue;
    rollbacks.set(s.id.slice(0, -ROLLBACK_SUFFIX.length), {
      status:
        s.status === 'succeeded'
          ? 'rolled_back'
          : s.status === 'failed' || s.status === 'timed_out' || s.status === 'cancelled'
            ? 'rollback_failed'
            : 'rolling_back',
      attempts: s.attempts,
      ...(s.error !== null && { error: s.error }),
      startedAt: s.startedAt,
      finishedAt: s.finishedAt,
    });
  }
  const steps = rollbacks.size === 0 ? all : all.filter((s) => !s.id.endsWith(ROLLBACK_SUFFIX));
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
      // A step undone when its run failed: how its rollback went.
      ...(rollbacks.has(s.id) && { rollback: rollbacks.get(s.id) }),
      // Files kept (name, size, sha256) or refused (name, reason): download by name.
      ...(s.artifacts !== undefined && { artifacts: s.artifacts }),
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

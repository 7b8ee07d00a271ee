/**
 * Adoption: turning a recorded execution into a live run of this process, when an engine slot
 * takes it from the work queue. New runs and runs left unfinished by a process that died take
 * the same path. Settled steps stay settled; a step that was `running`/`retrying` (its process
 * died with it) is reported `interrupted` and resumed so: its step actor starts `interrupted` and
 * runs again if its retry policy has attempts left (the interrupted attempt counts), otherwise it
 * stays `interrupted`, which fails the run unless the step tolerates failure. Runs are rebuilt
 * from their step records, not actor snapshots: records are written before each event is
 * published, so they are never behind any observer.
 * @module
 */
import type { ResumedStep } from '../../machines/execution-ledger.ts';
import { FINAL_EXECUTION_STATUSES, type ExecutionRecord, type Store } from '../store/index.ts';
import type { ExecutionRecorder } from './execution-recorder.ts';
import type { EventPipeline } from './event-pipeline.ts';
import type { LiveExecution, LiveExecutions } from './live-executions.ts';

/** What adoption needs. */
export interface AdoptionDeps {
  store: Store;
  executions: LiveExecutions;
  recorder: ExecutionRecorder;
  pipeline: EventPipeline;
  /** Records this process just created, to skip reading them back. */
  created: Map<string, ExecutionRecord>;
}

/** Makes `executionId` a live run here; undefined when it is finished or unknown. */
export async function adoptExecution(
  deps: AdoptionDeps,
  executionId: string,
): Promise<LiveExecution | undefined> {
  const existing = deps.executions.get(executionId);
  if (existing) return existing;
  const cached = deps.created.get(executionId);
  deps.created.delete(executionId);
  const record = cached ?? (await deps.store.getExecution(executionId));
  if (!record || FINAL_EXECUTION_STATUSES.includes(record.status)) return undefined;
  if (deps.executions.get(executionId)) return deps.executions.get(executionId);

  const resume: Record<string, ResumedStep> = {};
  const interrupted: Array<{ stepId: string; attempt: number }> = [];
  let anyProgress = false;
  for (const step of record.steps) {
    if (step.status === 'pending') continue;
    anyProgress = true;
    if (step.status === 'running' || step.status === 'retrying' || step.status === 'waiting') {
      interrupted.push({ stepId: step.id, attempt: Math.max(1, step.attempts) });
      // The execution's ledger and the step's `interrupted` state decide whether it runs again.
      resume[step.id] = { status: 'interrupted', attempts: step.attempts };
    } else {
      resume[step.id] = { status: step.status, attempts: step.attempts };
    }
  }
  const live: LiveExecution = {
    record,
    definition: record.definition,
    inputs: record.input,
    resume: anyProgress ? resume : undefined,
  };
  deps.recorder.track(record);
  deps.executions.add(live);
  for (const { stepId, attempt } of interrupted) {
    deps.pipeline.emitExecution({
      type: 'step.interrupted',
      executionId: record.id,
      workflowId: record.workflowId,
      stepId,
      attempt,
      exitCode: null,
      error: 'the process running this step stopped',
    });
  }
  return live;
}

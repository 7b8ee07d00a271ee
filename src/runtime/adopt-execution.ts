/**
 * Adoption: turning a recorded execution into a live run of this process, when an engine slot
 * takes it from the work queue. New runs and runs left unfinished by a process that died take
 * the same path. Settled steps stay settled. A step that was `running` goes on with the same
 * attempt when nothing was lost: a `sleep` or `noop` (no process), or a process the process host
 * still holds or has ended (the attempt actor re-attaches by key and gets its output and real
 * exit). A step that was `retrying` waits what is left of its backoff. Only a process that
 * cannot be found again (no process host: it died with the server) is `interrupted`: it runs
 * again without using a retry attempt, at most MAX_LOST_ATTEMPTS times (`lostAttempts`).
 * Runs are rebuilt from their step records, not actor snapshots: records are written before
 * each event is published, so they are never behind any observer.
 * @module
 */
import type { ResumedStep } from '../../machines/execution-ledger.ts';
import { LOST_PROCESS } from '../../machines/step.machine.ts';
import type { Clock } from '../clock.ts';
import {
  FINAL_EXECUTION_STATUSES,
  type ExecutionRecord,
  type StepRecord,
  type Store,
} from '../store/index.ts';
import { parseInstanceId, type StepDefinition } from '../workflow/index.ts';
import type { ExecutionRecorder } from './execution-recorder.ts';
import type { EventPipeline } from './event-pipeline.ts';
import type { LiveExecution, LiveExecutions } from './live-executions.ts';

/** What adoption needs. */
export interface AdoptionDeps {
  store: Store;
  executions: LiveExecutions;
  recorder: ExecutionRecorder;
  pipeline: EventPipeline;
  clock: Clock;
  /** Records this process just created, to skip reading them back. */
  created: Map<string, ExecutionRecord>;
  /**
   * Step processes outlive this process (the process host): a step recorded `running` goes on
   * by re-attaching. False: its process died with the process that ran it.
   */
  durableProcesses: boolean;
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

  const now = deps.clock.now();
  const definitions = new Map(record.definition.steps.map((s) => [s.id, s]));
  const resume: Record<string, ResumedStep> = {};
  const lost: Array<{ stepId: string; attempt: number; lostAttempts: number }> = [];
  let anyProgress = false;
  for (const step of record.steps) {
    if (step.status === 'pending') continue;
    anyProgress = true;
    // A forEach instance (`x[n]`) runs as its step `x` does.
    const def = definitions.get(step.id) ?? definitions.get(parseInstanceId(step.id)?.stepId ?? '');
    const prior = resumedStep(step, def, deps.durableProcesses, now);
    resume[step.id] = prior;
    if (prior.status === 'interrupted' && step.status !== 'interrupted') {
      lost.push({
        stepId: step.id,
        attempt: Math.max(1, step.attempts),
        lostAttempts: prior.lostAttempts ?? 1,
      });
    }
  }
  const started = record.startedAt === null ? NaN : Date.parse(record.startedAt);
  const live: LiveExecution = {
    record,
    definition: record.definition,
    inputs: record.input,
    resume: anyProgress ? resume : undefined,
    ...(Number.isFinite(started) && { elapsedMs: Math.max(0, now - started) }),
  };
  deps.recorder.track(record);
  deps.executions.add(live);
  for (const { stepId, attempt, lostAttempts } of lost) {
    deps.pipeline.emitExecution({
      type: 'step.interrupted',
      executionId: record.id,
      workflowId: record.workflowId,
      stepId,
      attempt,
      exitCode: null,
      error: LOST_PROCESS,
      lostAttempts,
    });
  }
  return live;
}

/** Where a recorded step goes on. */
function resumedStep(
  step: StepRecord,
  def: StepDefinition | undefined,
  durableProcesses: boolean,
  now: number,
): ResumedStep {
  const lostAttempts = step.lostAttempts ?? 0;
  const base = { attempts: step.attempts, lostAttempts };
  switch (step.status) {
    case 'running':
    case 'waiting': {
      if (step.attempts === 0) return { status: 'pending', ...base };
      // A forEach step itself has no process (its instances do): it makes its list again.
      // A workflow step re-attaches to its child (same attempt, same idempotency key); an
      // approval step to its stored wait and deadline.
      const processless =
        def?.kind === 'sleep' ||
        def?.kind === 'noop' ||
        def?.kind === 'workflow' ||
        def?.kind === 'approval' ||
        (def?.forEach !== undefined && def.id === step.id);
      if (!processless && !durableProcesses) {
        return { status: 'interrupted', ...base, lostAttempts: lostAttempts + 1 };
      }
      const since = Date.parse(step.attemptStartedAt ?? step.startedAt ?? '');
      const elapsedMs = Number.isFinite(since) ? Math.max(0, now - since) : 0;
      return { status: 'running', ...base, attempt: { state: 'running', elapsedMs } };
    }
    case 'retrying': {
      const due = Date.parse(step.retryAt ?? '');
      const remainingMs = Number.isFinite(due) ? Math.max(0, due - now) : 0;
      return { status: 'retrying', ...base, attempt: { state: 'retrying', remainingMs } };
    }
    default:
      return {
        status: step.status,
        ...base,
        ...(step.status === 'succeeded' && step.outputs && { outputs: step.outputs }),
        ...(step.status === 'succeeded' && { finishedAt: step.finishedAt }),
      };
  }
}

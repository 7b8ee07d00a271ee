/**
 * Rehydration after a restart: every execution the store holds as unfinished is queued again.
 * Settled steps stay settled; a step that was running (or waiting to retry) when the process
 * died is reported `interrupted` and runs again if its retry policy has attempts left,
 * otherwise it stays `interrupted`, which fails the run unless the step tolerates failure.
 * Runs are rebuilt from their step records, not from actor snapshots: the records are written
 * before each event is published, so they are never behind what anyone observed.
 * @module
 */
import type { Logger } from 'pino';
import type { ResumedStep } from '../../machines/run-ledger.ts';
import type { Store } from '../store/types.ts';
import type { StatorService } from './stator-service.ts';

/** Queues every unfinished run again; returns how many. */
export async function rehydrateRuns(service: StatorService, store: Store, logger: Logger): Promise<number> {
  const unfinished = await store.listUnfinishedExecutions();
  for (const record of unfinished) {
    const resume: Record<string, ResumedStep> = {};
    const interrupted: Array<{ stepId: string; attempt: number }> = [];
    const policies = new Map(record.definition.steps.map((s) => [s.id, s.retry.attempts]));
    for (const step of record.steps) {
      if (step.status === 'running' || step.status === 'retrying') {
        interrupted.push({ stepId: step.id, attempt: Math.max(1, step.attempts) });
        const left = step.attempts < (policies.get(step.id) ?? 1);
        resume[step.id] = { status: left ? 'pending' : 'interrupted', attempts: step.attempts };
      } else {
        resume[step.id] = { status: step.status, attempts: step.attempts };
      }
    }
    service.enqueue(record, record.input, resume);
    for (const { stepId, attempt } of interrupted) {
      service.deps.pipeline.emitExecution({
        type: 'step.interrupted',
        executionId: record.id,
        workflowId: record.workflowId,
        stepId,
        attempt,
        exitCode: null,
        error: 'the process running this step stopped',
      });
    }
    logger.info(
      { executionId: record.id, interrupted: interrupted.length },
      'rehydrated unfinished execution',
    );
  }
  if (unfinished.length > 0) service.deps.dispatcher.pump();
  return unfinished.length;
}

/**
 * Keeps the files a process step declares in `artifacts:` once its process has ended (exit 0
 * or not: the files of a failed attempt are what one needs to debug it; not when the attempt
 * was cancelled, timed out or lost, since its process was cut off mid-write). Runs only for
 * steps that declare artifacts. What was kept and refused becomes one `step.artifacts` event,
 * emitted before the attempt's outcome, so the record lists them by the time the step settles;
 * refusals and patterns matching nothing are also lines of the step's stderr log. A store that
 * fails (NATS away) leaves a log line and no listing; the step's outcome is its process's.
 * @module
 */
import { resolve } from 'node:path';
import type { ArtifactCollector } from '../artifacts/index.ts';
import type { ExecutionEvent } from '../events.ts';
import type { StepArtifact } from '../store/index.ts';

/** The attempt whose files are kept. */
export interface ArtifactAttempt {
  executionId: string;
  workflowId: string;
  stepId: string;
  attempt: number;
  cwd: string | undefined;
  patterns: readonly string[];
}

/** Collects, then reports through `emit`. */
export async function keepArtifacts(
  collector: ArtifactCollector,
  a: ArtifactAttempt,
  emit: (event: ExecutionEvent) => void,
): Promise<void> {
  const { executionId, workflowId, stepId, attempt } = a;
  const log = (line: string) =>
    emit({ type: 'step.stderr', executionId, workflowId, stepId, attempt, line });
  try {
    const result = await collector.collect({
      executionId,
      stepId,
      // What the process host and the runner do with a step's cwd: relative to this process's.
      cwd: resolve(a.cwd ?? process.cwd()),
      patterns: a.patterns,
    });
    for (const note of result.notes) log(note);
    for (const r of result.refused) log(`artifacts: '${r.name}' not kept: ${r.reason}`);
    const artifacts: StepArtifact[] = [
      ...result.kept.map((k) => ({ name: k.name, size: k.size, sha256: k.sha256 })),
      ...result.refused.map((r) => ({ name: r.name, size: 0, refused: r.reason })),
    ];
    emit({ type: 'step.artifacts', executionId, workflowId, stepId, attempt, artifacts });
  } catch (err) {
    log(`artifacts: not kept: ${(err as Error).message}`);
  }
}

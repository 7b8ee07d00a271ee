/**
 * One attempt of a `workflow` step: a child run of another workflow, started through the normal
 * execute path (validated, admitted, stored `pending`, queued like any run) with the parent's
 * link in its record, then waited for. The step ends as the child ends: completed gives the
 * child's outputs (its steps' outputs merged in definition order, a later step's key winning),
 * anything else fails the attempt (the step's retry policy may start a new child).
 *
 * At most one child per attempt: the execute carries an idempotency key derived from the parent
 * run, the step and the attempt, so an attempt resumed after a restart (even a kill -9 between
 * the execute and the record of the child's id) finds the child it started and waits for it; the
 * child id stored in the step's record is tried first. Stopping the attempt because the step was
 * cancelled or timed out cancels the child; stopping it because this process lets go of the run
 * (shutdown, the run taken over by another node) leaves the child running.
 * @module
 */
import { createHash } from 'node:crypto';
import type { AttemptResult } from '../../../machines/step.machine.ts';
import { TimeoutError, toStatorError } from '../../errors.ts';
import type { ExecutionEvent } from '../../events.ts';
import {
  FINAL_EXECUTION_STATUSES,
  type ExecutionRecord,
  type ParentLink,
} from '../../store/index.ts';
import type { ExecuteOptions, ExecuteResult } from '../types.ts';

/** Child runs nested deeper than this are refused (a workflow that starts itself, say). */
export const MAX_CHILD_DEPTH = 8;

/** What a workflow step needs of the service. */
export interface ChildRunDeps {
  execute(
    workflowId: string,
    input: Record<string, unknown>,
    opts: ExecuteOptions,
  ): Promise<ExecuteResult>;
  /** The final record; TimeoutError after `timeoutMs`. */
  waitFor(id: string, opts: { timeoutMs: number }): Promise<ExecutionRecord>;
  cancel(id: string, reason: string): Promise<unknown>;
  /** The parent link of a run (undefined for a top-level run or an unknown one). */
  parentOf(id: string): Promise<ParentLink | undefined>;
  /** The child id the step's record holds, if any (a resumed attempt). */
  storedChild(executionId: string, stepId: string): string | undefined;
  /**
   * Asked once the attempt was stopped: true when its step ended or moved on (cancelled, timed
   * out, retrying), false when this process let go of the run without ending it (a shutdown, the
   * run taken over by another node), which leaves the child running.
   */
  attemptEnded(executionId: string, stepId: string, attempt: number): Promise<boolean>;
  emit(event: ExecutionEvent): void;
}

/** One attempt's call. */
export interface ChildRunCall {
  name: string;
  inputs: Record<string, unknown>;
  executionId: string;
  workflowId: string;
  stepId: string;
  attempt: number;
  resumed: boolean;
  signal: AbortSignal;
  log(line: string): void;
}

/** How long one wait lasts before it is asked again (waits never end on their own). */
const WAIT_SLICE_MS = 3_600_000;

/** The idempotency key of the child of one attempt. */
export function childRunKey(executionId: string, stepId: string, attempt: number): string {
  const hash = createHash('sha256').update(`${executionId}\n${stepId}\n${attempt}`).digest('hex');
  return `child:${hash.slice(0, 48)}`;
}

/** Starts (or finds) the attempt's child and waits for its end. */
export async function runChildRun(deps: ChildRunDeps, call: ChildRunCall): Promise<AttemptResult> {
  const { executionId, stepId, attempt, signal } = call;
  // A resumed attempt whose child's id is stored (and is this attempt's) goes back to it.
  const stored = call.resumed ? deps.storedChild(executionId, stepId) : undefined;
  let childId =
    stored !== undefined && (await deps.parentOf(stored))?.attempt === attempt ? stored : undefined;
  let replayed = childId !== undefined;
  if (childId === undefined) {
    const depth = await depthOf(deps, executionId);
    if (depth >= MAX_CHILD_DEPTH) {
      return fail(`workflow: child runs nest at most ${MAX_CHILD_DEPTH} deep`, true);
    }
    try {
      const started = await deps.execute(call.name, call.inputs, {
        idempotencyKey: childRunKey(executionId, stepId, attempt),
        parent: { executionId, stepId, attempt },
      });
      childId = started.executionId;
      replayed = started.replayed === true;
    } catch (err) {
      const e = toStatorError(err);
      if (e.code === 'not_found') {
        return fail(`workflow: workflow '${call.name}' is not registered`, true);
      }
      const permanent = e.code === 'invalid_argument' || e.code === 'invalid_workflow';
      return fail(`workflow: cannot start '${call.name}': ${e.message}`, permanent);
    }
  }
  call.log(
    `workflow: child run ${childId} of '${call.name}' ${replayed ? 're-attached' : 'started'}`,
  );
  deps.emit({
    type: 'step.child',
    executionId,
    workflowId: call.workflowId,
    stepId,
    attempt,
    childExecutionId: childId,
    childWorkflowId: call.name,
  });
  const record = await waitUnlessAborted(deps, childId, signal);
  if (record instanceof Error) {
    return fail(`workflow: cannot follow child run ${childId}: ${record.message}`);
  }
  if (record === undefined) {
    void cancelIfEnded(deps, call, childId);
    return { ok: false, exitCode: null, error: 'cancelled' };
  }
  call.log(`workflow: child run ${childId} ended ${record.status}`);
  if (record.status !== 'completed') {
    const why = record.error?.message ? `: ${record.error.message}` : '';
    return fail(`workflow: child run ${childId} ended ${record.status}${why}`);
  }
  const outputs: Record<string, unknown> = {};
  for (const s of record.steps) if (s.outputs) Object.assign(outputs, s.outputs);
  return { ok: true, exitCode: null, ...(Object.keys(outputs).length > 0 && { outputs }) };
}

/** Cancels the child of a stopped attempt unless the run was only let go of. */
async function cancelIfEnded(deps: ChildRunDeps, call: ChildRunCall, childId: string) {
  const { executionId, stepId, attempt } = call;
  try {
    if (!(await deps.attemptEnded(executionId, stepId, attempt))) return;
    call.log(`workflow: cancelling child run ${childId}`);
    await deps.cancel(childId, `its parent ${executionId} stopped step '${stepId}'`);
  } catch {
    // The child ended meanwhile (conflict), or the service is closing: nothing to cancel.
  }
}

/** How many parents the run has above it. */
async function depthOf(deps: ChildRunDeps, executionId: string): Promise<number> {
  let depth = 0;
  for (let id: string | undefined = executionId; depth <= MAX_CHILD_DEPTH; depth++) {
    const parent: ParentLink | undefined = await deps.parentOf(id);
    if (parent === undefined) return depth;
    id = parent.executionId;
  }
  return depth;
}

/** The child's final record, undefined once `signal` aborts, or why it cannot be waited for. */
async function waitUnlessAborted(
  deps: ChildRunDeps,
  id: string,
  signal: AbortSignal,
): Promise<ExecutionRecord | undefined | Error> {
  const aborted = new Promise<undefined>((resolve) => {
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
  while (!signal.aborted) {
    // An abandoned wait may still fail later (the service closed): that is caught here.
    const wait = deps.waitFor(id, { timeoutMs: WAIT_SLICE_MS }).then(
      (record) => record,
      (err: unknown) => (err instanceof TimeoutError ? null : toStatorError(err)),
    );
    const outcome = await Promise.race([wait, aborted]);
    if (outcome === undefined || outcome instanceof Error) return outcome;
    if (outcome !== null && FINAL_EXECUTION_STATUSES.includes(outcome.status)) return outcome;
  }
  return undefined;
}

function fail(error: string, nonRetryable = false): AttemptResult {
  return { ok: false, exitCode: null, error, ...(nonRetryable && { nonRetryable }) };
}

/**
 * What a retry keeps and what it runs again. A retry (`execution.retry`) is a new run of the old
 * run's definition and input whose step records are made here, before it is recorded:
 *
 * - Every step that did not succeed (failed, cancelled, timed_out, skipped, interrupted, never
 *   run), the `from` step if one is given, and (with a newer definition) every step that is new
 *   or changed, runs again, and so does every step downstream of one of them (its needs, in turn).
 * - Every other step succeeded and is kept: its record is copied as it was (status, attempts,
 *   times, outputs, child run) with `reused: true`. The new run starts with it settled, exactly as
 *   a run resumed after a restart starts with the steps it had finished (adopt-execution.ts): it
 *   never runs a process, and its outputs reach the steps that run (`STEPS_<ID>_<KEY>`,
 *   `${{ steps.<id>.outputs.<key> }}`); their `if:` conditions are evaluated again.
 * - A forEach step that runs again runs as a whole, except when it failed itself (it is neither
 *   the `from` step, nor downstream of a step that runs again, nor changed): then its instances
 *   that succeeded (`x[n]` records) are kept, and only the others run.
 * - A step that succeeded but was rolled back (its `<id>:rollback` record ran, whatever its
 *   outcome) runs again: its effect was undone. Rollback records are not carried over.
 * @module
 */
import { InvalidArgumentError } from '../../errors.ts';
import type { ExecutionRecord, StepRecord } from '../../store/index.ts';
import { parseInstanceId, ROLLBACK_SUFFIX, type WorkflowDefinition } from '../../workflow/index.ts';
import { copyStep, pendingStep } from '../../store/index.ts';

/** The steps of a retry run. */
export interface RetryPlan {
  /** Step records of the new run: kept ones (`reused: true`) and pending ones. */
  steps: StepRecord[];
  /** Ids of the declared steps kept. */
  kept: string[];
  /** Ids of the declared steps that run again. */
  rerun: string[];
}

/** Plans the retry of `old` under `definition` (its own, or the workflow's latest). */
export function planRetry(
  old: Pick<ExecutionRecord, 'definition' | 'steps'>,
  definition: WorkflowDefinition,
  from?: string,
): RetryPlan {
  const steps = definition.steps;
  const index = new Map<string, number>();
  steps.forEach((s, i) => index.set(s.id, i));
  if (from !== undefined && !index.has(from)) {
    throw InvalidArgumentError.format([
      { path: 'from', message: `the workflow has no step '${from}'` },
    ]);
  }
  const records = new Map(old.steps.map((s) => [s.id, s]));
  // A step whose rollback ran (or began) was undone: it is not kept, it runs again.
  const undone = (id: string): boolean => {
    const rollback = records.get(`${id}${ROLLBACK_SUFFIX}`);
    return rollback !== undefined && rollback.status !== 'pending';
  };
  const oldDefs = new Map(old.definition.steps.map((s) => [s.id, s]));
  const sameDefinition = old.definition === definition;
  const dependents: number[][] = steps.map(() => []);
  steps.forEach((s, i) => {
    for (const need of s.needs) dependents[index.get(need)!]!.push(i);
  });

  // Seeds: what did not succeed, what changed, and `from`.
  const rerun = new Array<boolean>(steps.length).fill(false);
  /** A seed for its own failure only: a forEach step may keep its succeeded instances. */
  const ownFailure = new Array<boolean>(steps.length).fill(false);
  const queue: number[] = [];
  steps.forEach((s, i) => {
    const record = records.get(s.id);
    const changed = !sameDefinition && !sameStep(oldDefs.get(s.id), s);
    if (s.id === from || changed || record?.status !== 'succeeded' || undone(s.id)) {
      rerun[i] = true;
      ownFailure[i] = s.id !== from && !changed && record !== undefined && !undone(s.id);
      queue.push(i);
    }
  });
  // Everything downstream of a seed runs again.
  while (queue.length > 0) {
    for (const d of dependents[queue.pop()!]!) {
      if (rerun[d] && !ownFailure[d]) continue;
      rerun[d] = true;
      ownFailure[d] = false;
      queue.push(d);
    }
  }

  const kept: string[] = [];
  const again: string[] = [];
  const out: StepRecord[] = steps.map((s, i) => {
    if (rerun[i]) {
      again.push(s.id);
      return pendingStep(s.id);
    }
    kept.push(s.id);
    return reused(records.get(s.id)!);
  });
  // Instance records: those of a kept forEach step, and the succeeded ones of a forEach step
  // that failed on its own.
  for (const record of old.steps) {
    const parsed = parseInstanceId(record.id);
    if (parsed === undefined || index.has(record.id)) continue;
    const i = index.get(parsed.stepId);
    if (i === undefined || steps[i]!.forEach === undefined) continue;
    if (!rerun[i] || (ownFailure[i] && record.status === 'succeeded')) out.push(reused(record));
  }
  return { steps: out, kept, rerun: again };
}

/** A kept step's record: as it was, marked reused. */
function reused(record: StepRecord): StepRecord {
  return { ...copyStep(record), reused: true };
}

/** True when a step's definition did not change (stored definitions are plain JSON). */
function sameStep(a: unknown, b: unknown): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

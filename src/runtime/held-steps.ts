/**
 * The start-up sweep of step processes the process host still holds. A held entry is released
 * once its outcome is stored (create-stator.ts), but a crash between the two leaves it held, and
 * a run cancelled (or otherwise settled) while no server was up leaves its process running in
 * the host. At start, after unfinished runs were queued again: an entry whose attempt is
 * settled in the store (the run is final, the step is settled, or the step has moved on to a
 * later attempt) is released, and if it still runs it is cancelled first, then released.
 * Entries of attempts still due are left alone: their runs re-attach to them. That includes a
 * forEach instance spawned before its first record was stored: it counts as pending, as a
 * declared step does before its `step.started` is stored.
 * @module
 */
import type { Logger } from 'pino';
import { unrefTimer, type Clock } from '../clock.ts';
import type { HostClient } from '../host/index.ts';
import {
  FINAL_EXECUTION_STATUSES,
  pendingStep,
  type ExecutionRecord,
  type StepRecord,
  type Store,
} from '../store/index.ts';
import { parseInstanceId } from '../workflow/index.ts';

/** A step process key taken apart (see `stepProcessKey`). */
export interface StepKeyParts {
  executionId: string;
  stepId: string;
  attempt: number;
}

/** Parses `step:<executionId>:<stepId>:<attempt>`; undefined for any other key. */
export function parseStepProcessKey(key: string): StepKeyParts | undefined {
  const parts = key.split(':');
  if (parts.length !== 4 || parts[0] !== 'step') return undefined;
  const attempt = Number(parts[3]);
  if (!Number.isInteger(attempt) || attempt < 1) return undefined;
  return { executionId: parts[1]!, stepId: parts[2]!, attempt };
}

const SETTLED_STEP = new Set(['succeeded', 'failed', 'skipped', 'cancelled', 'timed_out']);

/**
 * True when nobody will ever re-attach to this attempt's process. A forEach instance (`x[n]`)
 * has no record until its `step.started` is stored, but its process may already be held (the
 * spawn does not wait for that write): while `x` is unsettled, a missing instance record reads
 * as a declared step's pending one (attempts 0). The resumed fan-out starts that instance at
 * attempt 1 under the same key, which re-attaches to the held process (or gets its real exit).
 */
export function attemptIsOver(
  record: ExecutionRecord | undefined,
  key: StepKeyParts,
  steps: ReadonlyMap<string, StepRecord> = stepIndex(record),
): boolean {
  if (!record) return true;
  if (FINAL_EXECUTION_STATUSES.includes(record.status)) return true;
  const step = steps.get(key.stepId) ?? unrecordedInstance(steps, key.stepId);
  if (!step) return true;
  return SETTLED_STEP.has(step.status) || step.attempts > key.attempt;
}

/** A run's step records by id (read once per run by the sweep). */
export function stepIndex(record: ExecutionRecord | undefined): Map<string, StepRecord> {
  return new Map(record?.steps.map((s) => [s.id, s]));
}

/** An instance not recorded yet, as pending, while its forEach step is recorded unsettled. */
function unrecordedInstance(
  steps: ReadonlyMap<string, StepRecord>,
  stepId: string,
): StepRecord | undefined {
  const parent = parseInstanceId(stepId);
  const of = parent && steps.get(parent.stepId);
  if (!of || SETTLED_STEP.has(of.status)) return undefined;
  return pendingStep(stepId);
}

/** Options of the sweep. */
export interface SweepOptions {
  host: Pick<HostClient, 'list' | 'release' | 'cancel'>;
  store: Pick<Store, 'getExecution'>;
  logger: Logger;
  /** Times the release of a cancelled process. */
  clock: Clock;
  /** How long a cancelled process may take to end before its entry is released. */
  killGraceMs: number;
}

/** Releases (cancelling first when needed) held step processes whose attempt is over. */
export async function sweepHeldSteps(
  o: SweepOptions,
): Promise<{ released: number; cancelled: number }> {
  const held = await o.host.list();
  const records = new Map<
    string,
    { record: ExecutionRecord | undefined; steps: Map<string, StepRecord> }
  >();
  let released = 0;
  let cancelled = 0;
  for (const p of held) {
    const key = parseStepProcessKey(p.key);
    if (!key) continue;
    let run = records.get(key.executionId);
    if (!run) {
      const record = await o.store.getExecution(key.executionId);
      run = { record, steps: stepIndex(record) };
      records.set(key.executionId, run);
    }
    if (!attemptIsOver(run.record, key, run.steps)) continue;
    if (p.state === 'running') {
      cancelled++;
      await o.host.cancel(p.key).catch(() => undefined);
      // Released once it had time to end; a later sweep catches it otherwise.
      unrefTimer(
        o.clock.setTimeout(
          () => void o.host.release(p.key).catch(() => undefined),
          o.killGraceMs + 1000,
        ),
      );
    } else {
      released++;
      await o.host.release(p.key).catch(() => undefined);
    }
  }
  if (released + cancelled > 0) {
    o.logger.info({ released, cancelled }, 'released step processes whose attempt was over');
  }
  return { released, cancelled };
}

/**
 * The start-up sweep of step processes the process host still holds. A held entry is released
 * once its outcome is stored (create-stator.ts), but a crash between the two leaves it held, and
 * a run cancelled (or otherwise settled) while no server was up leaves its process running in
 * the host. At start, after unfinished runs were queued again: an entry whose attempt is
 * settled in the store (the run is final, the step is settled, or the step has moved on to a
 * later attempt) is released, and if it still runs it is cancelled first, then released.
 * Entries of attempts still due are left alone: their runs re-attach to them.
 * @module
 */
import type { Logger } from 'pino';
import { unrefTimer, type Clock } from '../clock.ts';
import type { HostClient } from '../host/index.ts';
import { FINAL_EXECUTION_STATUSES, type ExecutionRecord, type Store } from '../store/index.ts';

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

/** True when nobody will ever re-attach to this attempt's process. */
export function attemptIsOver(record: ExecutionRecord | undefined, key: StepKeyParts): boolean {
  if (!record) return true;
  if (FINAL_EXECUTION_STATUSES.includes(record.status)) return true;
  const step = record.steps.find((s) => s.id === key.stepId);
  if (!step) return true;
  return SETTLED_STEP.has(step.status) || step.attempts > key.attempt;
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
  const records = new Map<string, ExecutionRecord | undefined>();
  let released = 0;
  let cancelled = 0;
  for (const p of held) {
    const key = parseStepProcessKey(p.key);
    if (!key) continue;
    if (!records.has(key.executionId)) {
      records.set(key.executionId, await o.store.getExecution(key.executionId));
    }
    if (!attemptIsOver(records.get(key.executionId), key)) continue;
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

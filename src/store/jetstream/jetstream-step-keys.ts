/**
 * Which step keys an execution has, kept in its summary so that reading the run gets each step
 * by key (`<executionId>.<stepId>`, in parallel) instead of scanning the steps stream: a scan
 * with a subject filter costs the server O(every step ever stored), so it slowed down every
 * adoption as history grew (issue 10).
 *
 * - The initial steps are nearly always the definition's, in its order: then nothing is listed
 *   (`initial` absent) and readers take the ids from the definition they read anyway.
 * - Steps added later (putStep of a new id) are appended to `added`, in the same write that
 *   takes their ordinal, so the list and `stepCount` never disagree.
 * - A listed step with no record is pending: a run whose summary can name its initial steps by
 *   itself (an inline definition, or `initial`) is created without writing its pending steps,
 *   and each step's record is created by its first update.
 * - A summary stays small: past MAX_LISTED ids the run switches to `scan` (the old way, with its
 *   cost); summaries written before this existed have no `stepKeys` and are scanned too.
 * @module
 */
import type { ExecutionRecord, StepRecord } from '../roles/index.ts';

/** Step ids listed at most in one summary before a run falls back to scanning. */
export const MAX_LISTED_STEP_IDS = 1000;

/** Where a run's step records are (see the module comment). */
export type StepKeys =
  | {
      /** The initial step ids when they are not the definition's; absent: the definition's. */
      initial?: string[];
      /** Ids of the steps added after creation, in ordinal order. */
      added: string[];
    }
  | 'scan';

/** The step keys of a new record. */
export function stepKeysAtCreate(rec: Pick<ExecutionRecord, 'definition' | 'steps'>): StepKeys {
  const defined = rec.definition.steps;
  const same =
    defined.length === rec.steps.length && rec.steps.every((s, i) => s.id === defined[i]!.id);
  if (same) return { added: [] };
  if (rec.steps.length > MAX_LISTED_STEP_IDS) return 'scan';
  return { initial: rec.steps.map((s) => s.id), added: [] };
}

/** The step keys once `stepId` is added (a new step). */
export function withAddedStep(keys: StepKeys | undefined, stepId: string): StepKeys {
  if (keys === undefined || keys === 'scan') return 'scan';
  if ((keys.initial?.length ?? 0) + keys.added.length >= MAX_LISTED_STEP_IDS) return 'scan';
  return { ...keys, added: [...keys.added, stepId] };
}

/**
 * Every step id of a run in ordinal order, from its summary's keys and its definition's step
 * ids; null when the run must be scanned.
 */
export function listedStepIds(
  keys: StepKeys | undefined,
  definitionStepIds: () => readonly string[],
): string[] | null {
  if (keys === undefined || keys === 'scan') return null;
  return [...(keys.initial ?? definitionStepIds()), ...keys.added];
}

/** True for a step record that says nothing a missing record does not (pending, untouched). */
export function isUntouched(s: StepRecord): boolean {
  return (
    s.status === 'pending' &&
    s.attempts === 0 &&
    s.exitCode == null &&
    s.startedAt == null &&
    s.finishedAt == null &&
    s.error == null &&
    !s.lostAttempts &&
    !s.attemptStartedAt &&
    !s.retryAt
  );
}

/** Ordinals of the initial ids, per id list (the lists are never changed in place). */
const initialOrdinals = new WeakMap<readonly unknown[], Map<string, number>>();

function ordinals(list: readonly unknown[], ids: () => readonly string[]): Map<string, number> {
  let map = initialOrdinals.get(list);
  if (map === undefined) {
    map = new Map();
    for (const [i, id] of ids().entries()) if (!map.has(id)) map.set(id, i);
    initialOrdinals.set(list, map);
  }
  return map;
}

/**
 * The ordinal of a listed step (it may have no record yet), or -1 when `stepId` is not listed
 * or the run's initial ids are not known without reading its definition's chunks.
 */
export function listedOrdinal(
  keys: StepKeys | undefined,
  inlineDefinition: ExecutionRecord['definition'] | undefined,
  stepId: string,
): number {
  if (keys === undefined || keys === 'scan') return -1;
  let initial: Map<string, number>;
  let count: number;
  if (keys.initial !== undefined) {
    const list = keys.initial;
    initial = ordinals(list, () => list);
    count = list.length;
  } else if (inlineDefinition !== undefined) {
    const steps = inlineDefinition.steps;
    initial = ordinals(steps, () => steps.map((s) => s.id));
    count = steps.length;
  } else {
    return -1;
  }
  const at = initial.get(stepId);
  if (at !== undefined) return at;
  const added = keys.added.indexOf(stepId);
  return added < 0 ? -1 : count + added;
}

/**
 * What one store object remembers of the runs it created or read, so that reading a run again
 * (adoption right after creation is the hot case) costs one wave of parallel gets: the summary
 * and every step key at once, no definition chunks.
 *
 * - The JSON text of a chunked definition: a run's definition never changes, so the text is
 *   valid for as long as the summary still describes the same run (its chunks and `createdAt`
 *   compared; a pruned and re-created id never matches). Inline definitions are read from the
 *   summary itself.
 * - The step ids last seen: only a guess of which keys to get alongside the summary; the summary
 *   read in the same wave says which ids are current, and any missing one is read after.
 * - Bounded by entries and by the bytes of definition text (least recently used dropped first),
 *   so a 10,000-step definition cannot pin much memory.
 * @module
 */
import type { ReadyExecution } from './jetstream-records.ts';

/** One remembered run. */
export interface RunHint {
  /** definitionSource() of the summary, and its creation time, when this was remembered. */
  source: string;
  createdAt: string;
  /** The JSON text of the definition's chunks (none when it is inline). */
  definitionText?: string;
  /** Step ids in ordinal order, as last known. */
  stepIds: readonly string[];
}

/** Runs remembered at most. */
export const RUN_HINT_ENTRIES = 4096;
/** Definition text remembered at most, in UTF-16 code units (about bytes for ASCII). */
export const RUN_HINT_TEXT_BUDGET = 16 * 1024 * 1024;

/** A bounded map of run hints by execution id. */
export class RunHints {
  readonly #hints = new Map<string, RunHint>();
  #text = 0;

  constructor(
    private readonly maxEntries = RUN_HINT_ENTRIES,
    private readonly textBudget = RUN_HINT_TEXT_BUDGET,
  ) {}

  /** The hint of `id` when it still describes the run whose summary is `value`. */
  matching(id: string, value: ReadyExecution): RunHint | undefined {
    const hint = this.#hints.get(id);
    if (hint === undefined) return undefined;
    const same =
      hint.source === definitionSource(value) && hint.createdAt === value.summary.createdAt;
    if (!same) {
      this.forget(id);
      return undefined;
    }
    return hint;
  }

  /** The step ids to read speculatively with the summary of `id`. */
  stepIds(id: string): readonly string[] {
    return this.#hints.get(id)?.stepIds ?? [];
  }

  /** Remembers (or refreshes) `id`, as the most recently used. */
  remember(id: string, hint: RunHint): void {
    this.forget(id);
    if (this.maxEntries === 0 || size(hint) > this.textBudget) return;
    this.#hints.set(id, hint);
    this.#text += size(hint);
    for (const [oldest, old] of this.#hints) {
      if (this.#hints.size <= this.maxEntries && this.#text <= this.textBudget) break;
      this.#hints.delete(oldest);
      this.#text -= size(old);
    }
  }

  /** Adds a step id to a remembered run (a step added through this object). */
  addStep(id: string, stepId: string): void {
    const hint = this.#hints.get(id);
    if (hint !== undefined && !hint.stepIds.includes(stepId)) {
      hint.stepIds = [...hint.stepIds, stepId];
    }
  }

  /** Drops `id` (pruned, or no longer what the store holds). */
  forget(id: string): void {
    const hint = this.#hints.get(id);
    if (hint === undefined) return;
    this.#hints.delete(id);
    this.#text -= size(hint);
  }
}

/** Where a summary's definition is, as a comparable string. */
export function definitionSource(value: ReadyExecution): string {
  const ref = value.definition;
  return ref === undefined ? 'inline' : `${ref.key}/${ref.chunks}/${ref.bytes}`;
}

const size = (hint: RunHint): number => hint.definitionText?.length ?? 0;

/**
 * Executions and steps on JetStream KV.
 *
 * - `<executionId>` in the executions bucket holds the summary (with the input), its definition
 *   (inline when small, else a reference to chunks), the count of steps ever added and which
 *   step keys exist (jetstream-step-keys.ts), so reading a run back gets everything by key
 *   (jetstream-execution-read.ts): no operation of a run reads in proportion to history.
 *   Creation, and how a duplicate id is found: jetstream-execution-create.ts.
 * - Steps are `<executionId>.<stepId>` in the steps bucket, each with its ordinal; the initial
 *   steps get their definition position, a new step the next `stepCount` (a revision-checked
 *   increment that also proves the execution exists). A listed step with no record is pending.
 * - updateExecution and putStep are revision-checked read-modify-writes (jetstream-revisions.ts):
 *   one round trip when this object wrote the key last, two otherwise.
 * - Index entries in the index bucket: `wf.<workflowId>.<executionId>` (immutable) and
 *   `open.<executionId>` while the status is not final. They are written before the summary, so
 *   they are a superset that readers check against the summary. `done.<finishedAt>.<id>` once
 *   the run is finished (final status, finishedAt set) is written after the summary, so that
 *   pruning (jetstream-prune.ts) never finds a run still being created.
 * - Executions are removed only by pruning, which reads the summary with `ready` first.
 * @module
 */
import { NotFoundError } from '../../errors.ts';
import { isNoMessage } from './jetstream-errors.ts';
import type { JetStreamContext } from './jetstream-context.ts';
import { createExecutionCreator } from './jetstream-execution-create.ts';
import { createExecutionReader } from './jetstream-execution-read.ts';
import { kvStreamName, storeKeys } from './jetstream-names.ts';
import {
  applyPatch,
  copyStep,
  isFinal,
  patchesAnything,
  type ReadyExecution,
  type StoredExecution,
  type StoredStep,
} from './jetstream-records.ts';
import { KEEP, type Versioned } from './jetstream-revisions.ts';
import { RunHints } from './jetstream-run-hints.ts';
import { listedOrdinal, withAddedStep } from './jetstream-step-keys.ts';
import { isPrunable } from '../prune.ts';
import type { ExecutionStore, ExecutionSummary } from '../roles/index.ts';

/** Sequences of `open.*` entries this object wrote, remembered at most (see dropOpen). */
const OPEN_SEQS = 4096;

/**
 * The execution operations of the Store (listing lives in jetstream-execution-list.ts), and what
 * the listing and the logs read through them.
 */
export interface JetStreamExecutions extends Pick<
  ExecutionStore,
  'createExecution' | 'updateExecution' | 'putStep' | 'getExecution'
> {
  /**
   * The ready summary value, or null (cached reads allowed: executions are removed only when
   * finished, by pruning, which evicts them from the cache).
   */
  ready(id: string, cached?: boolean): Promise<ReadyExecution | null>;
  /** Removes `open.<id>` (the execution reached a final status). */
  dropOpen(id: string): Promise<void>;
  /** Forgets what this object remembers of `id` (pruned). */
  forget(id: string): void;
}

/** Execution operations over the buckets of `ctx`. */
export function createJetStreamExecutions(ctx: JetStreamContext): JetStreamExecutions {
  const { executions, steps, index, names } = ctx;
  const empty = new Uint8Array(0);
  const hints = new RunHints();
  const readExecution = createExecutionReader(ctx, hints);
  const createExecution = createExecutionCreator(ctx, {
    hints,
    putOpen: (id) => putOpen(id),
    dropOpen: (id) => dropOpen(id),
  });
  /**
   * Stream sequence of the `open.<id>` entry this object wrote, so that dropping it is one raw
   * delete without reading the entry first (insertion order: the oldest is dropped past OPEN_SEQS).
   */
  const openSeqs = new Map<string, number>();
  const putOpen = async (id: string): Promise<void> => {
    const seq = await index.put(storeKeys.open(id), empty);
    openSeqs.delete(id);
    openSeqs.set(id, seq);
    if (openSeqs.size > OPEN_SEQS) openSeqs.delete(openSeqs.keys().next().value!);
  };

  const ready = async (id: string, cached = false): Promise<ReadyExecution | null> => {
    const key = storeKeys.execution(id);
    let v = await executions.get<StoredExecution>(key, cached);
    // A claim seen earlier may have been completed since: check the stored value.
    if (cached && v?.value.creating) v = await executions.get<StoredExecution>(key);
    return v === null || v.value.creating ? null : v.value;
  };

  const requireReady = (id: string, cur: Versioned<StoredExecution> | null): ReadyExecution => {
    if (cur === null || cur.value.creating) throw new NotFoundError('execution', id);
    return cur.value;
  };

  /** The `done.*` entry a summary calls for, if it is finished. */
  const doneKey = (id: string, s: ExecutionSummary): string | undefined =>
    isPrunable(s) ? storeKeys.done(s.finishedAt, id) : undefined;

  const dropOpen = async (id: string): Promise<void> => {
    const seq = openSeqs.get(id);
    openSeqs.delete(id);
    // Gone already: deleted by another writer, or rewritten (then found by reading the key).
    if (seq !== undefined && (await deleteIndexMessage(seq))) return;
    await dropIndexEntry(storeKeys.open(id));
  };

  /** Deletes one index message; false when there is no message at `seq`. */
  async function deleteIndexMessage(seq: number): Promise<boolean> {
    // A raw delete leaves no marker behind, so `open.*` scans stay O(unfinished runs).
    return ctx.jsm.streams
      .deleteMessage(kvStreamName(names.buckets.index), seq, false)
      .catch((err: unknown) => {
        if (!isNoMessage(err)) throw err;
        return false;
      });
  }

  async function dropIndexEntry(key: string): Promise<void> {
    const entry = await index.get(key);
    if (entry === null || entry.operation !== 'PUT') return;
    await deleteIndexMessage(entry.revision);
  }

  return {
    ready,
    dropOpen,
    forget(id) {
      hints.forget(id);
      openSeqs.delete(id);
    },

    createExecution,

    async updateExecution(id, patch) {
      const changes = patchesAnything(patch);
      const { previous, current } = await executions.modify<StoredExecution>(
        storeKeys.execution(id),
        (cur) => {
          const value = requireReady(id, cur);
          if (!changes) return KEEP;
          return { ...value, summary: applyPatch(value.summary, patch) };
        },
      );
      const beforeSummary = requireReady(id, previous).summary;
      const afterSummary = requireReady(id, current).summary;
      const before = beforeSummary.status;
      const after = afterSummary.status;
      const doneBefore = doneKey(id, beforeSummary);
      const doneAfter = doneKey(id, afterSummary);
      // Both after the summary (the index is a superset of it), in parallel with each other.
      await Promise.all([
        !isFinal(before) && isFinal(after)
          ? dropOpen(id)
          : isFinal(before) && !isFinal(after)
            ? putOpen(id)
            : undefined,
        doneBefore !== doneAfter && doneAfter !== undefined
          ? index.put(doneAfter, empty)
          : undefined,
      ]);
      if (doneBefore !== doneAfter && doneBefore !== undefined) await dropIndexEntry(doneBefore);
    },

    async putStep(executionId, step) {
      const key = storeKeys.step(executionId, step.id);
      const rec = copyStep(step);
      const existing = await steps.modify<StoredStep>(key, (cur) =>
        cur === null ? KEEP : { ...rec, n: cur.value.n },
      );
      if (existing.current !== null) return;
      // No record: a listed step still pending since creation (its ordinal is its place in the
      // list), or a new step, which takes the next ordinal. Either way the execution must exist.
      const { previous } = await executions.modify<StoredExecution>(
        storeKeys.execution(executionId),
        (cur) => {
          const value = requireReady(executionId, cur);
          if (listedOrdinal(value.stepKeys, value.inlineDefinition, step.id) >= 0) return KEEP;
          return {
            ...value,
            stepCount: value.stepCount + 1,
            stepKeys: withAddedStep(value.stepKeys, step.id),
          };
        },
      );
      const value = previous!.value as ReadyExecution;
      const listed = listedOrdinal(value.stepKeys, value.inlineDefinition, step.id);
      const n = listed >= 0 ? listed : value.stepCount;
      await steps.modify<StoredStep>(key, (cur) => ({ ...rec, n: cur?.value.n ?? n }));
      if (listed < 0) hints.addStep(executionId, step.id);
    },

    getExecution: readExecution,
  };
}

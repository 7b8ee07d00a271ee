/**
 * Executions and steps on JetStream KV.
 *
 * - `<executionId>` in the executions bucket holds the summary (with the input), the reference
 *   to the definition's chunks and the count of steps ever added. It is claimed first with
 *   `kv.create` (`{creating: true}`, which is how a duplicate id is detected), then the chunks,
 *   steps and index entries are written, then the claim is replaced by the full value; readers
 *   treat a claim as missing, so nobody sees a half-written execution. (A writer that dies
 *   in between leaves a claim: the id stays taken and the run invisible.)
 * - Steps are `<executionId>.<stepId>` in the steps bucket, each with its ordinal; the initial
 *   steps get their definition position, a new step the next `stepCount` (a revision-checked
 *   increment that also proves the execution exists).
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
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../errors.ts';
import { isNoMessage, isWrongLastSequence } from './jetstream-errors.ts';
import type { JetStreamContext } from './jetstream-context.ts';
import { jsonBytes, readChunks, writeChunks } from './jetstream-chunks.ts';
import { kvStreamName, kvSubject, storeKeys } from './jetstream-names.ts';
import {
  applyPatch,
  copyStep,
  copySummary,
  isFinal,
  patchesAnything,
  type ReadyExecution,
  type StoredExecution,
  type StoredStep,
} from './jetstream-records.ts';
import { KEEP, type Versioned } from './jetstream-revisions.ts';
import { mapBounded, readSubjects } from './jetstream-scan.ts';
import { isPrunable } from '../prune.ts';
import type { ExecutionRecord, ExecutionStore, ExecutionSummary } from '../roles/index.ts';

/** Step writes in flight while creating an execution. */
const STEP_WRITES_IN_FLIGHT = 256;
/** Bytes of the summary value left for everything but the input. */
const SUMMARY_ROOM = 2048;

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
}

/** Execution operations over the buckets of `ctx`. */
export function createJetStreamExecutions(ctx: JetStreamContext): JetStreamExecutions {
  const { executions, steps, index, names, opts } = ctx;
  const decoder = new TextDecoder();
  const empty = new Uint8Array(0);

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

  const dropOpen = (id: string): Promise<void> => dropIndexEntry(storeKeys.open(id));

  async function dropIndexEntry(key: string): Promise<void> {
    const entry = await index.get(key);
    if (entry === null || entry.operation !== 'PUT') return;
    // A raw delete leaves no marker behind, so `open.*` scans stay O(unfinished runs).
    await ctx.jsm.streams
      .deleteMessage(kvStreamName(names.buckets.index), entry.revision, false)
      .catch((err: unknown) => {
        if (!isNoMessage(err)) throw err;
      });
  }

  return {
    ready,
    dropOpen,

    async createExecution(rec) {
      const summary = copySummary(rec);
      if (jsonBytes(summary) > opts.maxValueBytes - SUMMARY_ROOM) {
        throw InvalidArgumentError.format([
          {
            path: 'input',
            message: `is too large (limit ${opts.maxValueBytes - SUMMARY_ROOM} bytes)`,
          },
        ]);
      }
      const key = storeKeys.execution(rec.id);
      try {
        await executions.create<StoredExecution>(key, { creating: true });
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        throw new ConflictError(`execution '${rec.id}' already exists`, { id: rec.id });
      }
      const [definition] = await Promise.all([
        writeChunks(
          executions.kv,
          storeKeys.definition(rec.id),
          rec.definition,
          opts.maxValueBytes,
        ),
        mapBounded(rec.steps, STEP_WRITES_IN_FLIGHT, (s, n) =>
          steps.put<StoredStep>(storeKeys.step(rec.id, s.id), { ...copyStep(s), n }),
        ),
        index.put(storeKeys.byWorkflow(rec.workflowId, rec.id), empty),
        isFinal(summary.status) ? undefined : index.put(storeKeys.open(rec.id), empty),
      ]);
      await executions.modify<StoredExecution>(key, () => ({
        summary,
        definition,
        stepCount: rec.steps.length,
      }));
      const done = doneKey(rec.id, summary);
      if (done !== undefined) await index.put(done, empty);
    },

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
      if (!isFinal(before) && isFinal(after)) await dropOpen(id);
      else if (isFinal(before) && !isFinal(after)) await index.put(storeKeys.open(id), empty);
      const doneBefore = doneKey(id, beforeSummary);
      const doneAfter = doneKey(id, afterSummary);
      if (doneBefore !== doneAfter) {
        if (doneAfter !== undefined) await index.put(doneAfter, empty);
        if (doneBefore !== undefined) await dropIndexEntry(doneBefore);
      }
    },

    async putStep(executionId, step) {
      const key = storeKeys.step(executionId, step.id);
      const rec = copyStep(step);
      const existing = await steps.modify<StoredStep>(key, (cur) =>
        cur === null ? KEEP : { ...rec, n: cur.value.n },
      );
      if (existing.current !== null) return;
      // A new step: take the next ordinal (and prove that the execution exists).
      const { previous } = await executions.modify<StoredExecution>(
        storeKeys.execution(executionId),
        (cur) => {
          const value = requireReady(executionId, cur);
          return { ...value, stepCount: value.stepCount + 1 };
        },
      );
      const n = (previous!.value as ReadyExecution).stepCount;
      await steps.modify<StoredStep>(key, (cur) => ({ ...rec, n: cur?.value.n ?? n }));
    },

    async getExecution(id) {
      const value = await ready(id);
      if (value === null) return undefined;
      const bucket = names.buckets.steps;
      const [definition, msgs] = await Promise.all([
        readChunks<ExecutionRecord['definition']>(executions.kv, value.definition),
        readSubjects(ctx.js, kvStreamName(bucket), kvSubject(bucket, storeKeys.stepsOf(id)), {
          lastPerSubject: true,
        }),
      ]);
      const stored = msgs
        .filter((m) => m.operation === undefined)
        .map((m) => JSON.parse(decoder.decode(m.data)) as StoredStep)
        .sort((a, b) => a.n - b.n);
      return { ...copySummary(value.summary), definition, steps: stored.map(copyStep) };
    },
  };
}

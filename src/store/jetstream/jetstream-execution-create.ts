/**
 * Creating an execution on JetStream KV, in as few writes as the run allows (each is a round
 * trip and a stored message on the hot path of every run).
 *
 * - Usual run (a definition of at most INLINE_DEFINITION_BYTES, every step still pending): two
 *   waves. The index entries first (`wf.*`, and `open.*` unless final: the index is a superset
 *   of the summaries), then the whole summary with `kv.create`, which is also what finds a
 *   duplicate id. The definition is inline in the summary and the pending steps are not written
 *   (a listed step without a record is pending, jetstream-step-keys.ts). A duplicate leaves at
 *   most index entries behind, which readers check against the summary.
 * - Otherwise (a big definition, steps created with a state, or too many listed ids): the id is
 *   claimed first with `kv.create` (`{creating: true}`, invisible to readers), then the chunks,
 *   the steps and the index entries are written, then the claim is replaced by the summary, so
 *   nobody sees a half-written execution and a duplicate never overwrites another run's chunks
 *   or steps. (A writer that dies in between leaves a claim: the id stays taken, the run
 *   invisible.)
 * - `done.<finishedAt>.<id>` is written after the summary for a run created finished, so that
 *   pruning never finds a run still being created.
 * @module
 */
import { ConflictError, InvalidArgumentError } from '../../errors.ts';
import { isPrunable } from '../prune.ts';
import type { ExecutionRecord } from '../roles/index.ts';
import { jsonBytes, writeChunkText, type ChunkRef } from './jetstream-chunks.ts';
import type { JetStreamContext } from './jetstream-context.ts';
import { isWrongLastSequence } from './jetstream-errors.ts';
import { storeKeys } from './jetstream-names.ts';
import {
  copyStep,
  copySummary,
  isFinal,
  type ReadyExecution,
  type StoredExecution,
  type StoredStep,
} from './jetstream-records.ts';
import { definitionSource, type RunHints } from './jetstream-run-hints.ts';
import { mapBounded } from './jetstream-scan.ts';
import { isUntouched, stepKeysAtCreate } from './jetstream-step-keys.ts';

/** Step writes in flight while creating an execution. */
const STEP_WRITES_IN_FLIGHT = 256;
/** Bytes of the summary value left for everything but the input. */
export const SUMMARY_ROOM = 2048;
/** A definition up to this many bytes of JSON is kept in the summary. */
export const INLINE_DEFINITION_BYTES = 16 * 1024;
/** Runs up to this many steps have their unwritten steps remembered as missing (no read first). */
const ASSUME_MISSING_STEPS = 64;

/** What creation shares with the other execution operations. */
export interface CreationDeps {
  hints: RunHints;
  /** Writes `open.<id>` and remembers its sequence. */
  putOpen(id: string): Promise<void>;
  /** Removes `open.<id>`. */
  dropOpen(id: string): Promise<void>;
}

/** The createExecution operation over the buckets of `ctx`. */
export function createExecutionCreator(
  ctx: JetStreamContext,
  deps: CreationDeps,
): (rec: ExecutionRecord) => Promise<void> {
  const { executions, steps, index, opts } = ctx;
  const empty = new Uint8Array(0);
  const conflict = (id: string) => new ConflictError(`execution '${id}' already exists`, { id });

  return async (rec) => {
    const summary = copySummary(rec);
    const summaryBytes = jsonBytes(summary);
    if (summaryBytes > opts.maxValueBytes - SUMMARY_ROOM) {
      throw InvalidArgumentError.format([
        {
          path: 'input',
          message: `is too large (limit ${opts.maxValueBytes - SUMMARY_ROOM} bytes)`,
        },
      ]);
    }
    // Serialized once: written (inline or as chunks) and remembered for reading the run back.
    const definitionText = JSON.stringify(rec.definition);
    const definitionBytes = Buffer.byteLength(definitionText, 'utf8');
    const inline =
      definitionBytes <= INLINE_DEFINITION_BYTES &&
      summaryBytes + definitionBytes + SUMMARY_ROOM <= opts.maxValueBytes;
    const stepKeys = stepKeysAtCreate(rec);
    // Pending steps go unwritten only when the summary alone names them.
    const named = stepKeys !== 'scan' && (inline || stepKeys.initial !== undefined);
    const written = rec.steps
      .map((s, n) => ({ s, n }))
      .filter(({ s }) => !named || !isUntouched(s));
    const key = storeKeys.execution(rec.id);
    const quick = inline && written.length === 0;
    if (!quick) {
      try {
        await executions.create<StoredExecution>(key, { creating: true });
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        throw conflict(rec.id);
      }
    }
    const open = !isFinal(summary.status);
    const [chunks] = await Promise.all([
      inline
        ? undefined
        : writeChunkText(
            executions.kv,
            storeKeys.definition(rec.id),
            definitionText,
            opts.maxValueBytes,
          ),
      mapBounded(written, STEP_WRITES_IN_FLIGHT, ({ s, n }) =>
        steps.put<StoredStep>(storeKeys.step(rec.id, s.id), { ...copyStep(s), n }),
      ),
      index.put(storeKeys.byWorkflow(rec.workflowId, rec.id), empty),
      open ? deps.putOpen(rec.id) : undefined,
    ]);
    const value: ReadyExecution = {
      summary,
      ...(inline
        ? { inlineDefinition: JSON.parse(definitionText) as ExecutionRecord['definition'] }
        : { definition: chunks as ChunkRef }),
      stepCount: rec.steps.length,
      stepKeys,
    };
    if (quick) {
      try {
        await executions.create<StoredExecution>(key, value);
      } catch (err) {
        if (!isWrongLastSequence(err)) throw err;
        // Our `open.*` entry must not outlive the check against a finished run's summary.
        if (open) await dropOpenIfFinished(rec.id);
        throw conflict(rec.id);
      }
    } else {
      await executions.modify<StoredExecution>(key, () => value);
    }
    if (named && rec.steps.length <= ASSUME_MISSING_STEPS) {
      for (const s of rec.steps) {
        if (isUntouched(s)) steps.assumeMissing(storeKeys.step(rec.id, s.id));
      }
    }
    deps.hints.remember(rec.id, {
      source: definitionSource(value),
      createdAt: summary.createdAt,
      ...(!inline && { definitionText }),
      stepIds: rec.steps.map((s) => s.id),
    });
    if (isPrunable(summary)) await index.put(storeKeys.done(summary.finishedAt, rec.id), empty);
  };

  async function dropOpenIfFinished(id: string): Promise<void> {
    const other = await executions.get<StoredExecution>(storeKeys.execution(id));
    if (other !== null && !other.value.creating && isFinal(other.value.summary.status)) {
      await deps.dropOpen(id);
    }
  }
}

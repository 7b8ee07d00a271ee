/**
 * Reading one execution whole (getExecution, hence adoption) in time independent of history:
 * the summary by key, the definition (inline in the summary, or from its chunks, or the JSON
 * text of those chunks this store object remembers), and every listed step record by key, in
 * parallel, in the order of their ordinals; a listed step without a record is pending.
 *
 * The summary lists the step keys (jetstream-step-keys.ts). When this object created or read the
 * run before (jetstream-run-hints.ts), the steps it knew are read in the same wave as the
 * summary: one round trip for a run adopted where it was created. Otherwise: the summary, then
 * the definition (its step ids), then the steps. Summaries written before step keys existed, and
 * runs with more added steps than a summary lists, are read with a subject-filtered scan of the
 * steps stream, as before (its cost grows with the stream).
 * @module
 */
import type { ExecutionRecord, StepRecord } from '../roles/index.ts';
import { jsonCopy, pendingStep } from '../record-copy.ts';
import { readChunkText } from './jetstream-chunks.ts';
import type { JetStreamContext } from './jetstream-context.ts';
import { kvStreamName, kvSubject, storeKeys } from './jetstream-names.ts';
import {
  copyStep,
  copySummary,
  type StoredExecution,
  type StoredStep,
} from './jetstream-records.ts';
import type { Versioned } from './jetstream-revisions.ts';
import { definitionSource, type RunHints } from './jetstream-run-hints.ts';
import { mapBounded, readSubjects } from './jetstream-scan.ts';
import { listedStepIds } from './jetstream-step-keys.ts';

/** Step reads in flight for one execution. */
const STEP_READS_IN_FLIGHT = 256;

/** Reads whole executions through `hints`; undefined when missing or still being created. */
export function createExecutionReader(
  ctx: JetStreamContext,
  hints: RunHints,
): (id: string) => Promise<ExecutionRecord | undefined> {
  const decoder = new TextDecoder();
  const getStep = (id: string, stepId: string) =>
    ctx.steps.get<StoredStep>(storeKeys.step(id, stepId));

  /** Every step record of a run whose keys are not listed: the old scan. */
  const scanSteps = async (id: string): Promise<StoredStep[]> => {
    const bucket = ctx.names.buckets.steps;
    const msgs = await readSubjects(
      ctx.js,
      kvStreamName(bucket),
      kvSubject(bucket, storeKeys.stepsOf(id)),
      { lastPerSubject: true },
    );
    return msgs
      .filter((m) => m.operation === undefined)
      .map((m) => JSON.parse(decoder.decode(m.data)) as StoredStep);
  };

  return async (id) => {
    // Speculative: the steps this object last knew, fetched with the summary (not for big runs:
    // their reads stay bounded in flight).
    const early = new Map<string, Promise<Versioned<StoredStep> | null>>();
    const known = hints.stepIds(id);
    if (known.length <= STEP_READS_IN_FLIGHT) {
      for (const stepId of known) early.set(stepId, getStep(id, stepId));
    }
    let stored: Versioned<StoredExecution> | null;
    try {
      stored = await ctx.executions.get<StoredExecution>(storeKeys.execution(id));
    } finally {
      // Whatever happens next, no speculative read may end as an unhandled rejection.
      for (const p of early.values()) p.catch(() => undefined);
    }
    if (stored === null || stored.value.creating) return undefined;
    const value = stored.value;
    // Copies: the caller never gets the cached summary's objects.
    let definition: ExecutionRecord['definition'];
    let definitionText: string | undefined;
    if (value.inlineDefinition !== undefined) {
      definition = jsonCopy(value.inlineDefinition);
    } else {
      definitionText =
        hints.matching(id, value)?.definitionText ??
        (await readChunkText(ctx.executions.kv, value.definition!));
      definition = JSON.parse(definitionText) as ExecutionRecord['definition'];
    }
    const ids = listedStepIds(value.stepKeys, () => definition.steps.map((s) => s.id));
    let steps: StepRecord[];
    if (ids === null) {
      steps = (await scanSteps(id)).sort((a, b) => a.n - b.n).map(copyStep);
    } else {
      // The list's order is the ordinals' order; a repeated id (two writers added it) counts once.
      const unique = [...new Set(ids)];
      const read = await mapBounded(
        unique,
        STEP_READS_IN_FLIGHT,
        (stepId) => early.get(stepId) ?? getStep(id, stepId),
      );
      steps = read.map((v, i) => (v === null ? pendingStep(unique[i]!) : copyStep(v.value)));
    }
    hints.remember(id, {
      source: definitionSource(value),
      createdAt: value.summary.createdAt,
      ...(definitionText !== undefined && { definitionText }),
      stepIds: ids ?? steps.map((s) => s.id),
    });
    return { ...copySummary(value.summary), definition, steps };
  };
}

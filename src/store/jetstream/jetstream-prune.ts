/**
 * Pruning finished executions on JetStream.
 *
 * - Finding them: every finished run has an empty `done.<finish ms>.<executionId>` entry in the
 *   index bucket (written after its summary, jetstream-executions.ts), so one key scan of
 *   `done.*.*` lists the finished runs with their finish time, without reading a summary; the
 *   shared plan (../prune.ts) picks the oldest to remove, comparing the zero-padded time tokens
 *   as they are (ids are decoded only for those picked). The scan is O(finished runs) per
 *   call, keys only. Runs that finished before these entries existed get theirs from a one-time backfill
 *   per store object (a scan of execution keys, reading the summaries of those not indexed).
 * - Removing one: its summary is read first (never a run that is not finished, nor one whose
 *   claim is still being written); then removed through the revision-checked view (which
 *   forgets its cached value, so an append to the run is refused as not found); then every
 *   subject of the run is purged by a subject filter, which leaves no delete marker behind: the
 *   summary, `<id>.>` in the executions bucket (definition chunks, log counters), `<id>.*` in the
 *   steps bucket, `<id>.*` in the logs stream, its index entries, and the `done` entry last, so
 *   a prune cut short is finished by the next one (the summary missing, the rest is purged).
 * @module
 */
import type { JetStreamContext } from './jetstream-context.ts';
import type { JetStreamExecutions } from './jetstream-executions.ts';
import {
  finishTimeToken,
  fromToken,
  kvStreamName,
  kvSubject,
  logSubjects,
  storeKeys,
} from './jetstream-names.ts';
import type { StoredExecution } from './jetstream-records.ts';
import { listKeys, mapBounded } from './jetstream-scan.ts';
import { isPrunable, planPrune, prunesAnything, type FinishedExecution } from '../prune.ts';
import type { ExecutionStore } from '../roles/index.ts';

/** Executions removed concurrently (each is ~10 requests). */
const REMOVALS_IN_FLIGHT = 16;
/** Summary reads in flight during the backfill. */
const READS_IN_FLIGHT = 32;

/** The prune operation of the Store over the buckets of `ctx`. */
export function createJetStreamPrune(
  ctx: JetStreamContext,
  executions: JetStreamExecutions,
): Pick<ExecutionStore, 'pruneExecutions'> {
  const { names, index } = ctx;
  const empty = new Uint8Array(0);
  let backfilled: Promise<void> | undefined;

  const purge = (stream: string, filter: string): Promise<unknown> =>
    ctx.jsm.streams.purge(stream, { filter });
  const purgeKv = (bucket: string, key: string): Promise<unknown> =>
    purge(kvStreamName(bucket), kvSubject(bucket, key));

  /**
   * Finished runs by their `done` entries, as tokens: `id` the execution's key token and
   * `finishedAt` the time token (the newest when a run has two entries).
   */
  const finishedRuns = async (): Promise<FinishedExecution[]> => {
    const byId = new Map<string, string>();
    for (const key of await listKeys(index, storeKeys.doneAll)) {
      const [, at, id] = key.split('.') as [string, string, string];
      const seen = byId.get(id);
      if (seen === undefined || seen < at) byId.set(id, at);
    }
    return Array.from(byId, ([id, finishedAt]) => ({ id, finishedAt }));
  };

  /** Indexes finished runs that have no `done` entry (written before those entries existed). */
  const backfill = async (): Promise<void> => {
    const [all, open, done] = await Promise.all([
      listKeys(ctx.executions.kv, storeKeys.allExecutions),
      listKeys(index, storeKeys.openAll),
      listKeys(index, storeKeys.doneAll),
    ]);
    const known = new Set([...open, ...done].map((k) => k.slice(k.lastIndexOf('.') + 1)));
    const missing = all.filter((token) => !known.has(token)).map(fromToken);
    await mapBounded(missing, READS_IN_FLIGHT, async (id) => {
      const value = await executions.ready(id);
      if (value !== null && isPrunable(value.summary)) {
        await index.put(storeKeys.done(value.summary.finishedAt, id), empty);
      }
    });
  };

  /**
   * Removes one run (given as tokens, see finishedRuns); false when it is not (or no longer) to
   * be removed by this call.
   */
  const remove = async (tokens: FinishedExecution): Promise<boolean> => {
    const id = fromToken(tokens.id);
    const doneKey = storeKeys.doneOfTokens(tokens.finishedAt, tokens.id);
    const key = storeKeys.execution(id);
    const stored = await ctx.executions.get<StoredExecution>(key);
    let workflowKey = storeKeys.byWorkflowOf(id);
    if (stored !== null) {
      const value = stored.value;
      if (value.creating || !isPrunable(value.summary)) return false;
      if (storeKeys.done(value.summary.finishedAt, id) !== doneKey) {
        // A stale entry of a run whose finish time changed: its current one stays.
        await purgeKv(names.buckets.index, doneKey);
        return false;
      }
      workflowKey = storeKeys.byWorkflow(value.summary.workflowId, id);
      await ctx.executions.remove(key);
    }
    executions.forget(id);
    const { executions: ex, steps, index: ix } = names.buckets;
    await Promise.all([
      purgeKv(ex, key),
      purgeKv(ex, storeKeys.executionParts(id)),
      purgeKv(steps, storeKeys.stepsOf(id)),
      purge(names.streams.logs, logSubjects.of(names, id)),
      purgeKv(ix, workflowKey),
      purgeKv(ix, storeKeys.open(id)),
    ]);
    await purgeKv(ix, doneKey);
    return stored !== null;
  };

  return {
    async pruneExecutions(query) {
      if (!prunesAnything(query)) return 0;
      backfilled ??= backfill().catch((err: unknown) => {
        backfilled = undefined;
        throw err;
      });
      await backfilled;
      const before = query.finishedBefore;
      const doomed = planPrune(await finishedRuns(), {
        ...query,
        ...(before !== undefined && { finishedBefore: finishTimeToken(before) }),
      });
      const removed = await mapBounded(doomed, REMOVALS_IN_FLIGHT, remove);
      return removed.filter(Boolean).length;
    },
  };
}

/**
 * The cluster store: JetStream KV buckets and streams on a NATS connection the caller owns.
 *
 * Design (the reasoning; details live in the helpers named here):
 * - Names: every bucket, stream, key and subject is built in jetstream-names.ts from one prefix
 *   (`<prefix>_workflows`, `_executions`, `_steps`, `_index`, `_triggers`, `_idempotency`,
 *   streams `_logs`, `_events`), so
 *   stores with different prefixes share a server without seeing each other (tests use that).
 * - One key per thing that changes alone: an execution's summary (`<id>`, small, rewritten by
 *   updateExecution) is apart from its definition and from each step (`<id>.<stepId>` in the steps
 *   bucket), so putStep and updateExecution rewrite a few hundred bytes whatever the run's size.
 * - Large values: the server's max_payload (1 MB by default) is below a 10,000-step definition
 *   (~1.5 MB). Definitions are stored as chunks of `maxValueBytes` under keys of their own
 *   (jetstream-chunks.ts) rather than in an object store: no extra package, the same bucket and
 *   replication, and the chunks are written before the record that points at them.
 * - Concurrency: every read-modify-write is revision-checked (kv.create / kv.update with the last
 *   revision); on a conflict the value is re-read and the change re-applied, a bounded number of
 *   times (jetstream-revisions.ts). Writes to one key from one store object are queued, and the
 *   last revision is cached, so the usual update is one round trip.
 * - Listing: ids are time-sortable, so newest-first is a reverse sort of a key scan. A key scan is
 *   O(keys matched); the index bucket narrows it to one workflow's runs (`wf.<workflowId>.*`) or
 *   to unfinished runs (`open.*`, also what rehydration reads), so neither grows with history.
 *   Filtering by a final status without a workflow scans every execution key (O(all runs)).
 * - Logs: a stream with one subject per step and max_msgs_per_subject = maxLogLinesPerStep, so
 *   the server keeps the newest N lines per step; dropped = appended (a per-step counter) - kept.
 * - Events: ensureEventStream (jetstream-events.ts) creates the bounded stream of every actor's
 *   outbound events; the store itself does not use it.
 * - Triggers and claims: trigger states in bucket `_triggers` (jetstream-triggers.ts), plain
 *   puts; idempotency claims in `_idempotency` (jetstream-claims.ts), where a claim is a
 *   `kv.create`, so exactly one concurrent claimer wins.
 * - Sessions: one record per session in bucket `_sessions` (jetstream-sessions.ts), plain puts.
 * - Deletion: only finished executions are removed, by pruning (jetstream-prune.ts): found by
 *   their `done.<finishedAt>.<id>` index entries, removed with subject-filtered purges of the
 *   summary, chunks, steps, log counters, log subjects and index entries (no delete markers).
 * - Composition: one role object per concern over one context, each call's NATS failures mapped
 *   to StatorErrors here, and the whole behind checkedStore (closed store, shared checks).
 * @module
 */
import { NotFoundError } from '../../errors.ts';
import { checkedStore } from '../checked-store.ts';
import type { Store } from '../types.ts';
import { createJetStreamClaims } from './jetstream-claims.ts';
import { openJetStreamContext } from './jetstream-context.ts';
import { toStoreError } from './jetstream-errors.ts';
import { createJetStreamExecutionList } from './jetstream-execution-list.ts';
import { createJetStreamExecutions } from './jetstream-executions.ts';
import { createJetStreamLogs } from './jetstream-logs.ts';
import { createJetStreamPrune } from './jetstream-prune.ts';
import { resolveJetStreamStoreOptions, type JetStreamStoreOptions } from './jetstream-options.ts';
import { createJetStreamSessions } from './jetstream-sessions.ts';
import { createJetStreamTriggers } from './jetstream-triggers.ts';
import { createJetStreamWorkflows } from './jetstream-workflows.ts';

/** Opens the store on `options.connection`, creating its buckets and streams when missing. */
export async function createJetStreamStore(options: JetStreamStoreOptions): Promise<Store> {
  const opts = resolveJetStreamStoreOptions(options, options.connection?.info?.max_payload);
  let ctx;
  try {
    ctx = await openJetStreamContext(opts);
  } catch (err) {
    throw toStoreError(err);
  }
  const workflows = createJetStreamWorkflows(ctx);
  const executions = createJetStreamExecutions(ctx);
  const list = createJetStreamExecutionList(ctx, executions);
  const prune = createJetStreamPrune(ctx, executions);
  const logs = createJetStreamLogs({
    js: ctx.js,
    names: ctx.names,
    limits: opts,
    executions: ctx.executions,
    async requireExecution(id) {
      if ((await executions.ready(id, true)) === null) throw new NotFoundError('execution', id);
    },
  });
  const triggers = createJetStreamTriggers(ctx);
  const sessions = createJetStreamSessions(ctx);
  const claims = createJetStreamClaims(ctx);

  /** Runs one store call with NATS failures mapped to StatorErrors. */
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(err);
    }
  };

  const inner: Store = {
    kind: 'jetstream',
    putWorkflow: (rec) => call(() => workflows.putWorkflow(rec)),
    getWorkflow: (id) => call(() => workflows.getWorkflow(id)),
    listWorkflows: (query) => call(() => workflows.listWorkflows(query)),
    deleteWorkflow: (id) => call(() => workflows.deleteWorkflow(id)),
    createExecution: (rec) => call(() => executions.createExecution(rec)),
    updateExecution: (id, patch) => call(() => executions.updateExecution(id, patch)),
    putStep: (executionId, step) => call(() => executions.putStep(executionId, step)),
    getExecution: (id) => call(() => executions.getExecution(id)),
    listExecutions: (query) => call(() => list.listExecutions(query)),
    listUnfinishedExecutions: () => call(() => list.listUnfinishedExecutions()),
    pruneExecutions: (query) => call(() => prune.pruneExecutions(query)),
    appendLogs: (executionId, lines) => call(() => logs.appendLogs(executionId, lines)),
    getLogs: (executionId, opts) => call(() => logs.getLogs(executionId, opts)),
    getTriggerState: (triggerId) => call(() => triggers.getTriggerState(triggerId)),
    putTriggerState: (state) => call(() => triggers.putTriggerState(state)),
    listTriggerStates: () => call(() => triggers.listTriggerStates()),
    deleteTriggerState: (triggerId) => call(() => triggers.deleteTriggerState(triggerId)),
    putSession: (record) => call(() => sessions.putSession(record)),
    getSession: (id) => call(() => sessions.getSession(id)),
    listSessions: () => call(() => sessions.listSessions()),
    deleteSession: (id) => call(() => sessions.deleteSession(id)),
    claimIdempotencyKey: (claim) => call(() => claims.claimIdempotencyKey(claim)),
    // The connection is the caller's: closing the store leaves it open.
    async close() {},
  };
  return checkedStore(inner, opts);
}

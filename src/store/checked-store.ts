/**
 * `checkedStore(inner, limits)`: the one place where the checks shared by every store are
 * made, above the implementations. Every factory (memory, SQLite, JetStream) returns its store
 * through it, so an implementation never sees:
 * - a call after `close()` (refused as `unavailable`; close itself is idempotent and reaches
 *   the implementation once);
 * - an execution whose steps share an id (checks.ts);
 * - a log line over `maxLineLength` (cut and marked here, limits.ts);
 * - a trigger state or session with an empty id, or a malformed idempotency claim (checks.ts);
 * - a malformed prune query (prune.ts: limit, keepNewest, finishedBefore, which arrives
 *   normalized to `toISOString()` so that implementations compare it as a string);
 * - a trigger state, session or claim object the caller holds: those are copied going in and
 *   coming out (record-copy.ts), so implementations neither copy nor validate them.
 * Executions, steps and logs are copied by the implementations that keep objects, since SQLite
 * needs no copy on its hot path.
 * @module
 */
import { UnavailableError } from '../errors.ts';
import { checkClaim, checkRecordId, checkStepIds } from './checks.ts';
import { truncateLine } from './limits.ts';
import { checkPruneQuery } from './prune.ts';
import { copyClaim, copySessionRecord, copyTriggerState } from './record-copy.ts';
import type { LogLine } from './roles/index.ts';
import type { Store, StoreLimits } from './types.ts';

/** Lines with every one over `max` cut; the same array when none is. */
function cutLines(lines: LogLine[], max: number): LogLine[] {
  if (lines.every((l) => l.line.length <= max)) return lines;
  return lines.map((l) => (l.line.length <= max ? l : { ...l, line: truncateLine(l.line, max) }));
}

/** Wraps `inner` with the checks every store shares (see the module comment). */
export function checkedStore(inner: Store, limits: Pick<StoreLimits, 'maxLineLength'>): Store {
  let closed = false;

  /** Runs `fn` unless closed; a synchronous throw (a failed check) becomes a rejection. */
  const call = <T>(fn: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new UnavailableError('store is closed'));
    try {
      return fn();
    } catch (err) {
      return Promise.reject(err);
    }
  };

  return {
    kind: inner.kind,

    putWorkflow: (record) => call(() => inner.putWorkflow(record)),
    getWorkflow: (id) => call(() => inner.getWorkflow(id)),
    listWorkflows: (query) => call(() => inner.listWorkflows(query)),
    deleteWorkflow: (id) => call(() => inner.deleteWorkflow(id)),

    createExecution: (record) =>
      call(() => {
        checkStepIds(record);
        return inner.createExecution(record);
      }),
    updateExecution: (id, patch) => call(() => inner.updateExecution(id, patch)),
    putStep: (executionId, step) => call(() => inner.putStep(executionId, step)),
    getExecution: (id) => call(() => inner.getExecution(id)),
    listExecutions: (query) => call(() => inner.listExecutions(query)),
    listUnfinishedExecutions: () => call(() => inner.listUnfinishedExecutions()),
    pruneExecutions: (query) => call(() => inner.pruneExecutions(checkPruneQuery(query))),

    appendLogs: (executionId, lines) =>
      call(() => inner.appendLogs(executionId, cutLines(lines, limits.maxLineLength))),
    getLogs: (executionId, opts) => call(() => inner.getLogs(executionId, opts)),

    getTriggerState: (triggerId) =>
      call(async () => {
        const state = await inner.getTriggerState(triggerId);
        return state === undefined ? undefined : copyTriggerState(state);
      }),
    putTriggerState: (state) =>
      call(() => {
        checkRecordId(state.id);
        return inner.putTriggerState(copyTriggerState(state));
      }),
    listTriggerStates: () =>
      call(async () => (await inner.listTriggerStates()).map(copyTriggerState)),
    deleteTriggerState: (triggerId) => call(() => inner.deleteTriggerState(triggerId)),

    putSession: (record) =>
      call(() => {
        checkRecordId(record.id);
        return inner.putSession(copySessionRecord(record));
      }),
    getSession: (id) =>
      call(async () => {
        const record = await inner.getSession(id);
        return record === undefined ? undefined : copySessionRecord(record);
      }),
    listSessions: () => call(async () => (await inner.listSessions()).map(copySessionRecord)),
    deleteSession: (id) => call(() => inner.deleteSession(id)),

    claimIdempotencyKey: (claim) =>
      call(async () => {
        const outcome = await inner.claimIdempotencyKey(checkClaim(claim));
        return { claim: copyClaim(outcome.claim), created: outcome.created };
      }),

    close: async () => {
      if (closed) return;
      closed = true;
      await inner.close();
    },
  };
}

/**
 * Trigger states and idempotency claims of the SQLite store (tables of migration 2).
 * A claim reads and writes its key inside one immediate transaction (the write lock is taken
 * first), so two processes sharing the file cannot both create a claim for one key. Expired
 * claims are replaced when their key is claimed again and, every PURGE_EVERY_CLAIMS claims,
 * deleted a bounded batch at a time through the expiry index.
 * @module
 */
import type { Database } from 'better-sqlite3';
import {
  checkClaim,
  copyClaim,
  copyTriggerState,
  PURGE_BATCH,
  PURGE_EVERY_CLAIMS,
  type CheckedClaim,
  type TriggerStoreParts,
} from './trigger-records.ts';
import type { IdempotencyClaim, TriggerState } from './types.ts';

/** A row of `trigger_states`. */
interface TriggerStateRow {
  id: string;
  workflow_id: string;
  paused: number;
  last_fire_at: string | null;
  last_result: string | null;
  updated_at: string;
}

/** A row of `idempotency_keys`. */
interface ClaimRow {
  scope: string;
  key: string;
  execution_id: string;
  created_at: string;
  expires_at: string;
  expires_ms: number;
}

const toState = (r: TriggerStateRow): TriggerState =>
  copyTriggerState({
    id: r.id,
    workflowId: r.workflow_id,
    paused: r.paused !== 0,
    lastFireAt: r.last_fire_at,
    lastResult:
      r.last_result === null ? null : (JSON.parse(r.last_result) as TriggerState['lastResult']),
    updatedAt: r.updated_at,
  });

const toClaim = (r: ClaimRow): IdempotencyClaim => ({
  scope: r.scope,
  key: r.key,
  executionId: r.execution_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/** The trigger part of a SQLite store on `db`; `open()` throws once the store is closed. */
export function createSqliteTriggers(db: Database, open: () => void): TriggerStoreParts {
  const q = {
    stateGet: db.prepare('SELECT * FROM trigger_states WHERE id = ?'),
    statePut: db.prepare(
      `INSERT INTO trigger_states (id, workflow_id, paused, last_fire_at, last_result, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET workflow_id = excluded.workflow_id,
         paused = excluded.paused, last_fire_at = excluded.last_fire_at,
         last_result = excluded.last_result, updated_at = excluded.updated_at`,
    ),
    stateList: db.prepare('SELECT * FROM trigger_states ORDER BY id'),
    stateDelete: db.prepare('DELETE FROM trigger_states WHERE id = ?'),
    claimGet: db.prepare('SELECT * FROM idempotency_keys WHERE scope = ? AND key = ?'),
    claimPut: db.prepare(
      `INSERT INTO idempotency_keys (scope, key, execution_id, created_at, expires_at, expires_ms)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (scope, key) DO UPDATE SET execution_id = excluded.execution_id,
         created_at = excluded.created_at, expires_at = excluded.expires_at,
         expires_ms = excluded.expires_ms`,
    ),
    claimPurge: db.prepare(
      `DELETE FROM idempotency_keys WHERE (scope, key) IN (
         SELECT scope, key FROM idempotency_keys WHERE expires_ms <= ? ORDER BY expires_ms LIMIT ?)`,
    ),
  };
  let claimCount = 0;

  const claimTx = db.transaction(
    (c: CheckedClaim): { claim: IdempotencyClaim; created: boolean } => {
      const row = q.claimGet.get(c.claim.scope, c.claim.key) as ClaimRow | undefined;
      if (row !== undefined && row.expires_ms > c.createdMs) {
        return { claim: toClaim(row), created: false };
      }
      const { scope, key, executionId, createdAt, expiresAt } = c.claim;
      q.claimPut.run(scope, key, executionId, createdAt, expiresAt, c.expiresMs);
      return { claim: copyClaim(c.claim), created: true };
    },
  );

  return {
    async getTriggerState(triggerId) {
      open();
      const row = q.stateGet.get(triggerId) as TriggerStateRow | undefined;
      return row === undefined ? undefined : toState(row);
    },

    async putTriggerState(state) {
      open();
      const s = copyTriggerState(state);
      const result = s.lastResult === null ? null : JSON.stringify(s.lastResult);
      q.statePut.run(s.id, s.workflowId, s.paused ? 1 : 0, s.lastFireAt, result, s.updatedAt);
    },

    async listTriggerStates() {
      open();
      return (q.stateList.all() as TriggerStateRow[]).map(toState);
    },

    async deleteTriggerState(triggerId) {
      open();
      q.stateDelete.run(triggerId);
    },

    async claimIdempotencyKey(input) {
      open();
      const checked = checkClaim(input);
      const outcome = claimTx.immediate(checked);
      if (++claimCount % PURGE_EVERY_CLAIMS === 0) q.claimPurge.run(checked.createdMs, PURGE_BATCH);
      return outcome;
    },
  };
}

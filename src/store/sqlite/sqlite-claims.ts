/**
 * Idempotency claims of the SQLite store (table `idempotency_keys`, migration 2). A claim reads
 * and writes its key inside one immediate transaction (the write lock is taken first), so two
 * processes sharing the file cannot both create a claim for one key. Expired claims are
 * replaced when their key is claimed again and, every PURGE_EVERY_CLAIMS claims, deleted a
 * bounded batch at a time through the expiry index. Claims arrive checked (checkedStore).
 * @module
 */
import type { Database } from 'better-sqlite3';
import { claimTimes, PURGE_BATCH, PURGE_EVERY_CLAIMS } from '../claim-expiry.ts';
import type { ClaimStore, IdempotencyClaim } from '../roles/index.ts';

/** A row of `idempotency_keys`. */
interface ClaimRow {
  scope: string;
  key: string;
  execution_id: string;
  created_at: string;
  expires_at: string;
  expires_ms: number;
}

const toClaim = (r: ClaimRow): IdempotencyClaim => ({
  scope: r.scope,
  key: r.key,
  executionId: r.execution_id,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
});

/** The claims role of a SQLite store on `db`. */
export function createSqliteClaims(db: Database): ClaimStore {
  const q = {
    get: db.prepare('SELECT * FROM idempotency_keys WHERE scope = ? AND key = ?'),
    put: db.prepare(
      `INSERT INTO idempotency_keys (scope, key, execution_id, created_at, expires_at, expires_ms)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (scope, key) DO UPDATE SET execution_id = excluded.execution_id,
         created_at = excluded.created_at, expires_at = excluded.expires_at,
         expires_ms = excluded.expires_ms`,
    ),
    purge: db.prepare(
      `DELETE FROM idempotency_keys WHERE (scope, key) IN (
         SELECT scope, key FROM idempotency_keys WHERE expires_ms <= ? ORDER BY expires_ms LIMIT ?)`,
    ),
  };
  let claimCount = 0;

  const claimTx = db.transaction(
    (
      claim: IdempotencyClaim,
      createdMs: number,
      expiresMs: number,
    ): { claim: IdempotencyClaim; created: boolean } => {
      const row = q.get.get(claim.scope, claim.key) as ClaimRow | undefined;
      if (row !== undefined && row.expires_ms > createdMs) {
        return { claim: toClaim(row), created: false };
      }
      const { scope, key, executionId, createdAt, expiresAt } = claim;
      q.put.run(scope, key, executionId, createdAt, expiresAt, expiresMs);
      return { claim, created: true };
    },
  );

  return {
    async claimIdempotencyKey(claim) {
      const { createdMs, expiresMs } = claimTimes(claim);
      const outcome = claimTx.immediate(claim, createdMs, expiresMs);
      if (++claimCount % PURGE_EVERY_CLAIMS === 0) q.purge.run(createdMs, PURGE_BATCH);
      return outcome;
    },
  };
}

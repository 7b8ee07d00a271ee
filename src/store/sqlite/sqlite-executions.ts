/**
 * Executions and steps of the SQLite store. Statements are prepared once; putStep and
 * updateExecution are single-row writes by primary key (a patch's statement is prepared once
 * per set of fields, a list's once per set of filters).
 * @module
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Database, Statement } from 'better-sqlite3';
import { ConflictError, NotFoundError } from '../../errors.ts';
import { decodeCursor, resolvePageLimit, toPage } from '../cursor.ts';
import {
  FINAL_EXECUTION_STATUSES,
  type ExecutionPatch,
  type ExecutionQuery,
  type ExecutionRecord,
  type ExecutionStore,
  type PruneQuery,
  type StepRecord,
} from '../roles/index.ts';
import {
  PATCH_COLUMNS,
  SELECT_EXECUTIONS,
  SELECT_SUMMARIES,
  STEP_COLUMNS,
  UNFINISHED_STATUSES,
  patchValue,
  toStep,
  toSummary,
  type ExecutionRow,
  type StepRow,
} from './sqlite-rows.ts';

/** Longest a prune transaction runs before the event loop gets a turn, ms. */
const PRUNE_SLICE_MS = 8;

/** The final statuses as an SQL list of literals. */
const FINAL_LIST = FINAL_EXECUTION_STATUSES.map((st) => `'${st}'`).join(', ');

/** The executions role of a SQLite store on `db`. */
export function createSqliteExecutions(db: Database): ExecutionStore {
  const q = {
    exInsert: db.prepare(
      `INSERT INTO executions (id, workflow_id, status, error, engine_id, node, created_at,
         started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    payloadInsert: db.prepare(
      `INSERT INTO execution_payloads (execution_id, input, definition, parent, retry_of, priority)
         VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    exExists: db.prepare('SELECT 1 FROM executions WHERE id = ?').pluck(),
    exGet: db.prepare(`${SELECT_EXECUTIONS} WHERE e.id = ?`),
    exUnfinished: db.prepare(
      `${SELECT_EXECUTIONS} WHERE e.status IN (${UNFINISHED_STATUSES.map(() => '?').join(', ')})
       ORDER BY e.id`,
    ),
    stepInsert: db.prepare(
      `INSERT INTO steps (execution_id, step_id, ordinal, status, attempts, exit_code, started_at,
         finished_at, lost_attempts, attempt_started_at, retry_at, outputs, child_execution_id,
         items, approval, artifacts, error, reused)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    stepUpdate: db.prepare(
      `UPDATE steps SET status = ?, attempts = ?, exit_code = ?, started_at = ?, finished_at = ?,
         lost_attempts = ?, attempt_started_at = ?, retry_at = ?, outputs = ?,
         child_execution_id = ?, items = ?, approval = ?, artifacts = ?, error = ?
         WHERE execution_id = ? AND step_id = ?`,
    ),
    stepNextOrdinal: db
      .prepare('SELECT COALESCE(MAX(ordinal) + 1, 0) FROM steps WHERE execution_id = ?')
      .pluck(),
    stepsOf: db.prepare(
      `SELECT ${STEP_COLUMNS} FROM steps WHERE execution_id = ? ORDER BY ordinal`,
    ),
    // Pruning reads the partial index executions_finished (migration 5), whose entries are
    // (finished_at, id): the N-th newest finished run from the index alone, then the oldest
    // ones below a bound, with their status checked. (A run has finished_at only once final.)
    nthNewestFinished: db.prepare(
      `SELECT finished_at, id FROM executions INDEXED BY executions_finished
       WHERE finished_at IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT 1 OFFSET ?`,
    ),
    finishedBelow: db
      .prepare(
        `SELECT id FROM executions INDEXED BY executions_finished
         WHERE finished_at IS NOT NULL AND status IN (${FINAL_LIST}) AND (finished_at, id) < (?, ?)
         ORDER BY finished_at, id LIMIT ?`,
      )
      .pluck(),
    oldestFinished: db
      .prepare(
        `SELECT id FROM executions INDEXED BY executions_finished
         WHERE finished_at IS NOT NULL AND status IN (${FINAL_LIST})
         ORDER BY finished_at, id LIMIT ?`,
      )
      .pluck(),
    // Payload, steps, logs and log counters follow by ON DELETE CASCADE (each keyed by the id).
    exDelete: db.prepare('DELETE FROM executions WHERE id = ?'),
  };
  const listStatements = new Map<string, Statement>();
  const patchStatements = new Map<string, Statement>();

  const stepArgs = (s: StepRecord) =>
    [
      s.status,
      s.attempts,
      s.exitCode ?? null,
      s.startedAt ?? null,
      s.finishedAt ?? null,
      s.lostAttempts ?? 0,
      s.attemptStartedAt ?? null,
      s.retryAt ?? null,
      s.outputs === undefined ? null : JSON.stringify(s.outputs),
      s.childExecutionId ?? null,
      s.items ?? null,
      s.approval === undefined ? null : JSON.stringify(s.approval),
      s.artifacts === undefined ? null : JSON.stringify(s.artifacts),
    ] as const;

  const readExecution = (row: ExecutionRow): ExecutionRecord => ({
    ...toSummary(row),
    definition: JSON.parse(row.definition!) as ExecutionRecord['definition'],
    steps: (q.stepsOf.all(row.id) as StepRow[]).map(toStep),
  });

  // Runs of one workflow share its definition; a frozen one cannot change, so its JSON is
  // computed once for all of them.
  const frozenJson = new WeakMap<object, string>();
  const definitionJson = (definition: ExecutionRecord['definition']): string => {
    if (!Object.isFrozen(definition)) return JSON.stringify(definition);
    let json = frozenJson.get(definition);
    if (json === undefined) frozenJson.set(definition, (json = JSON.stringify(definition)));
    return json;
  };

  const create = db.transaction((rec: ExecutionRecord) => {
    try {
      q.exInsert.run(
        rec.id,
        rec.workflowId,
        rec.status,
        rec.error == null ? null : JSON.stringify(rec.error),
        rec.engineId ?? null,
        rec.node ?? null,
        rec.createdAt,
        rec.startedAt ?? null,
        rec.finishedAt ?? null,
      );
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new ConflictError(`execution '${rec.id}' already exists`, { id: rec.id });
      }
      throw err;
    }
    q.payloadInsert.run(
      rec.id,
      JSON.stringify(rec.input ?? {}),
      definitionJson(rec.definition),
      rec.parent === undefined ? null : JSON.stringify(rec.parent),
      rec.retryOf ?? null,
      rec.priority ?? null,
    );
    rec.steps.forEach((s, i) =>
      q.stepInsert.run(rec.id, s.id, i, ...stepArgs(s), s.error ?? null, s.reused ? 1 : null),
    );
  });

  const insertStep = db.transaction((executionId: string, s: StepRecord) => {
    if (q.exExists.get(executionId) === undefined)
      throw new NotFoundError('execution', executionId);
    const ordinal = q.stepNextOrdinal.get(executionId) as number;
    const reused = s.reused ? 1 : null;
    q.stepInsert.run(executionId, s.id, ordinal, ...stepArgs(s), s.error ?? null, reused);
  });

  /**
   * Ids `query` removes, oldest first: those below the higher of two bounds, (finishedBefore, '')
   * and the keepNewest-th newest finished run; every finished one when keepNewest is 0.
   */
  const pruneIds = (query: PruneQuery): string[] => {
    let bound: [string, string] | undefined;
    if (query.finishedBefore !== undefined) bound = [query.finishedBefore, ''];
    if (query.keepNewest === 0) return q.oldestFinished.all(query.limit) as string[];
    if (query.keepNewest !== undefined) {
      const nth = q.nthNewestFinished.get(query.keepNewest - 1) as
        { finished_at: string; id: string } | undefined;
      if (
        nth !== undefined &&
        (bound === undefined || compareBounds([nth.finished_at, nth.id], bound) > 0)
      ) {
        bound = [nth.finished_at, nth.id];
      }
    }
    return bound === undefined ? [] : (q.finishedBelow.all(...bound, query.limit) as string[]);
  };

  /** Removes ids from `from` on, in one transaction, until PRUNE_SLICE_MS have passed. */
  const pruneSlice = db.transaction((ids: string[], from: number): [number, number] => {
    const started = performance.now();
    let removed = 0;
    let i = from;
    do removed += q.exDelete.run(ids[i++]!).changes;
    while (i < ids.length && performance.now() - started < PRUNE_SLICE_MS);
    return [removed, i];
  });

  const listStatement = (query: ExecutionQuery, after: boolean): Statement => {
    const key = `${query.workflowId !== undefined}${query.status !== undefined}${after}`;
    let stmt = listStatements.get(key);
    if (stmt === undefined) {
      const where = [
        query.workflowId !== undefined ? 'e.workflow_id = ?' : '',
        query.status !== undefined ? 'e.status = ?' : '',
        after ? 'e.id < ?' : '',
      ].filter(Boolean);
      const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      stmt = db.prepare(`${SELECT_SUMMARIES} ${clause} ORDER BY e.id DESC LIMIT ?`);
      listStatements.set(key, stmt);
    }
    return stmt;
  };

  return {
    async createExecution(rec) {
      create.immediate(rec);
    },

    async updateExecution(id, patch) {
      const fields = PATCH_COLUMNS.filter(([f]) => patch[f] !== undefined);
      if (fields.length === 0) {
        if (q.exExists.get(id) === undefined) throw new NotFoundError('execution', id);
        return;
      }
      const key = fields.map(([f]) => f).join(',');
      let stmt = patchStatements.get(key);
      if (stmt === undefined) {
        const sets = fields.map(([, col]) => `${col} = ?`).join(', ');
        stmt = db.prepare(`UPDATE executions SET ${sets} WHERE id = ?`);
        patchStatements.set(key, stmt);
      }
      const args = fields.map(([f]) => patchValue(f, patch[f as keyof ExecutionPatch]));
      if (stmt.run(...args, id).changes === 0) throw new NotFoundError('execution', id);
    },

    async putStep(executionId, step) {
      const args = stepArgs(step);
      const res = q.stepUpdate.run(...args, step.error ?? null, executionId, step.id);
      if (res.changes === 0) insertStep.immediate(executionId, step);
    },

    async getExecution(id) {
      const row = q.exGet.get(id) as ExecutionRow | undefined;
      return row === undefined ? undefined : readExecution(row);
    },

    async listExecutions(query = {}) {
      const limit = resolvePageLimit(query.limit);
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const args: unknown[] = [];
      if (query.workflowId !== undefined) args.push(query.workflowId);
      if (query.status !== undefined) args.push(query.status);
      if (after !== undefined) args.push(after);
      const rows = listStatement(query, after !== undefined).all(...args, limit + 1);
      return toPage((rows as ExecutionRow[]).map(toSummary), limit, (e) => e.id);
    },

    async listUnfinishedExecutions() {
      const rows = q.exUnfinished.all(...UNFINISHED_STATUSES) as ExecutionRow[];
      return rows.map(readExecution);
    },

    // The deletes of a batch are sliced by time, with a turn of the event loop between slices:
    // a run costs ~40 row deletes (its steps, log lines and counters), and one transaction of
    // 500 runs would hold the loop for ~50 ms (more on a loaded machine).
    async pruneExecutions(query) {
      const ids = pruneIds(query);
      let removed = 0;
      for (let at = 0; at < ids.length && db.open;) {
        if (at > 0) await nextTurn();
        if (!db.open) break;
        const [n, next] = pruneSlice.immediate(ids, at);
        removed += n;
        at = next;
      }
      return removed;
    },
  };
}

/** Orders (finished_at, id) pairs as SQLite orders the row values. */
function compareBounds(a: [string, string], b: [string, string]): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

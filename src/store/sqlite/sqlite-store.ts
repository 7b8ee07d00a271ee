/**
 * The embedded store: one SQLite file through better-sqlite3 (WAL, synchronous=NORMAL, foreign
 * keys). Statements are prepared once; putStep and updateExecution are single-row writes by
 * primary key. The store assigns workflow versions: 1 on first put, +1 on every replace.
 * Trigger states and idempotency claims live in sqlite-triggers.ts, sessions in sqlite-sessions.ts.
 * @module
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Statement } from 'better-sqlite3';
import { ConflictError, InvalidArgumentError, NotFoundError, UnavailableError } from '../errors.ts';
import { decodeCursor, resolvePageLimit, toPage } from './cursor.ts';
import { resolveSqliteStoreOptions, type SqliteStoreOptions } from './sqlite-options.ts';
import { migrateSqlite } from './sqlite-schema.ts';
import { createSqliteLogs } from './sqlite-logs.ts';
import { createSqliteTriggers } from './sqlite-triggers.ts';
import { createSqliteSessions } from './sqlite-sessions.ts';
import { WriteBatch, withGroupCommit } from './sqlite-batch.ts';
import {
  PATCH_COLUMNS,
  SELECT_EXECUTIONS,
  SELECT_SUMMARIES,
  STEP_COLUMNS,
  UNFINISHED_STATUSES,
  patchValue,
  toStep,
  toSummary,
  toWorkflow,
  type ExecutionRow,
  type StepRow,
  type WorkflowRow,
} from './sqlite-rows.ts';
import type {
  ExecutionPatch,
  ExecutionQuery,
  ExecutionRecord,
  Store,
  StepRecord,
} from './types.ts';

/** Opens (creating and migrating when needed) a SQLite store. */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const opts = resolveSqliteStoreOptions(options);
  if (opts.path !== ':memory:') mkdirSync(dirname(resolve(opts.path)), { recursive: true });
  const db = new Database(opts.path, { timeout: opts.busyTimeoutMs });
  try {
    if (opts.exclusive) db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrateSqlite(db);
  } catch (err) {
    db.close();
    throw err;
  }

  const q = {
    wfPut: db.prepare(
      `INSERT INTO workflows (id, definition, source, version, created_at, updated_at)
       VALUES (?, ?, ?, 1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, source = excluded.source,
         version = workflows.version + 1, updated_at = excluded.updated_at`,
    ),
    wfGet: db.prepare('SELECT * FROM workflows WHERE id = ?'),
    wfList: db.prepare('SELECT * FROM workflows ORDER BY id LIMIT ?'),
    wfListAfter: db.prepare('SELECT * FROM workflows WHERE id > ? ORDER BY id LIMIT ?'),
    wfDelete: db.prepare('DELETE FROM workflows WHERE id = ?'),
    exInsert: db.prepare(
      `INSERT INTO executions (id, workflow_id, status, error, engine_id, node, created_at,
         started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    payloadInsert: db.prepare(
      'INSERT INTO execution_payloads (execution_id, input, definition) VALUES (?, ?, ?)',
    ),
    exExists: db.prepare('SELECT 1 FROM executions WHERE id = ?').pluck(),
    exGet: db.prepare(`${SELECT_EXECUTIONS} WHERE e.id = ?`),
    exUnfinished: db.prepare(
      `${SELECT_EXECUTIONS} WHERE e.status IN (${UNFINISHED_STATUSES.map(() => '?').join(', ')})
       ORDER BY e.id`,
    ),
    stepInsert: db.prepare(
      `INSERT INTO steps (execution_id, step_id, ordinal, status, attempts, exit_code, started_at,
         finished_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    stepUpdate: db.prepare(
      `UPDATE steps SET status = ?, attempts = ?, exit_code = ?, started_at = ?, finished_at = ?,
         error = ? WHERE execution_id = ? AND step_id = ?`,
    ),
    stepNextOrdinal: db
      .prepare('SELECT COALESCE(MAX(ordinal) + 1, 0) FROM steps WHERE execution_id = ?')
      .pluck(),
    stepsOf: db.prepare(
      `SELECT ${STEP_COLUMNS} FROM steps WHERE execution_id = ? ORDER BY ordinal`,
    ),
  };
  const logs = createSqliteLogs(db, opts);
  const listStatements = new Map<string, Statement>();
  const patchStatements = new Map<string, Statement>();
  let closed = false;

  const open = (): void => {
    if (closed) throw new UnavailableError('store is closed');
  };
  const triggers = createSqliteTriggers(db, open);
  const sessions = createSqliteSessions(db, open);
  const stepArgs = (s: StepRecord) =>
    [s.status, s.attempts, s.exitCode ?? null, s.startedAt ?? null, s.finishedAt ?? null] as const;

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
    q.payloadInsert.run(rec.id, JSON.stringify(rec.input ?? {}), definitionJson(rec.definition));
    rec.steps.forEach((s, i) => q.stepInsert.run(rec.id, s.id, i, ...stepArgs(s), s.error ?? null));
  });

  const insertStep = db.transaction((executionId: string, s: StepRecord) => {
    if (q.exExists.get(executionId) === undefined)
      throw new NotFoundError('execution', executionId);
    const ordinal = q.stepNextOrdinal.get(executionId) as number;
    q.stepInsert.run(executionId, s.id, ordinal, ...stepArgs(s), s.error ?? null);
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

  const store: Store = {
    kind: 'sqlite',
    ...triggers,
    ...sessions,

    async putWorkflow(rec) {
      open();
      q.wfPut.run(
        rec.id,
        JSON.stringify(rec.definition),
        rec.source ?? null,
        rec.createdAt,
        rec.updatedAt,
      );
    },

    async getWorkflow(id) {
      open();
      const row = q.wfGet.get(id) as WorkflowRow | undefined;
      return row === undefined ? undefined : toWorkflow(row);
    },

    async listWorkflows(query = {}) {
      open();
      const limit = resolvePageLimit(query.limit);
      const rows = (
        query.cursor === undefined
          ? q.wfList.all(limit + 1)
          : q.wfListAfter.all(decodeCursor(query.cursor), limit + 1)
      ) as WorkflowRow[];
      return toPage(rows.map(toWorkflow), limit, (w) => w.id);
    },

    async deleteWorkflow(id) {
      open();
      return q.wfDelete.run(id).changes > 0;
    },

    async createExecution(rec) {
      open();
      const seen = new Set<string>();
      for (const s of rec.steps) {
        if (seen.has(s.id)) {
          throw InvalidArgumentError.format([
            { path: 'steps', message: `duplicate step '${s.id}'` },
          ]);
        }
        seen.add(s.id);
      }
      create.immediate(rec);
    },

    async updateExecution(id, patch) {
      open();
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
      open();
      const args = stepArgs(step);
      const res = q.stepUpdate.run(...args, step.error ?? null, executionId, step.id);
      if (res.changes === 0) insertStep.immediate(executionId, step);
    },

    async getExecution(id) {
      open();
      const row = q.exGet.get(id) as ExecutionRow | undefined;
      return row === undefined ? undefined : readExecution(row);
    },

    async listExecutions(query = {}) {
      open();
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
      open();
      const rows = q.exUnfinished.all(...UNFINISHED_STATUSES) as ExecutionRow[];
      return rows.map(readExecution);
    },

    async appendLogs(executionId, lines) {
      open();
      if (q.exExists.get(executionId) === undefined)
        throw new NotFoundError('execution', executionId);
      logs.append(executionId, lines);
    },

    async getLogs(executionId, opts = {}) {
      open();
      return logs.read(executionId, opts.stepId);
    },

    async close() {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
  return withGroupCommit(store, new WriteBatch(db));
}

/**
 * Workflows of the SQLite store: one row per id. The store assigns versions in the upsert
 * itself: 1 on first put, +1 on every replace, `created_at` kept.
 * @module
 */
import type { Database } from 'better-sqlite3';
import { decodeCursor, resolvePageLimit, toPage } from '../cursor.ts';
import type { WorkflowStore } from '../roles/index.ts';
import { toWorkflow, type WorkflowRow } from './sqlite-rows.ts';

/** The workflows role of a SQLite store on `db`. */
export function createSqliteWorkflows(db: Database): WorkflowStore {
  const q = {
    put: db.prepare(
      `INSERT INTO workflows (id, definition, source, version, created_at, updated_at)
       VALUES (?, ?, ?, 1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, source = excluded.source,
         version = workflows.version + 1, updated_at = excluded.updated_at`,
    ),
    get: db.prepare('SELECT * FROM workflows WHERE id = ?'),
    list: db.prepare('SELECT * FROM workflows ORDER BY id LIMIT ?'),
    listAfter: db.prepare('SELECT * FROM workflows WHERE id > ? ORDER BY id LIMIT ?'),
    delete: db.prepare('DELETE FROM workflows WHERE id = ?'),
  };
  return {
    async putWorkflow(rec) {
      q.put.run(
        rec.id,
        JSON.stringify(rec.definition),
        rec.source ?? null,
        rec.createdAt,
        rec.updatedAt,
      );
    },

    async getWorkflow(id) {
      const row = q.get.get(id) as WorkflowRow | undefined;
      return row === undefined ? undefined : toWorkflow(row);
    },

    async listWorkflows(query = {}) {
      const limit = resolvePageLimit(query.limit);
      const rows = (
        query.cursor === undefined
          ? q.list.all(limit + 1)
          : q.listAfter.all(decodeCursor(query.cursor), limit + 1)
      ) as WorkflowRow[];
      return toPage(rows.map(toWorkflow), limit, (w) => w.id);
    },

    async deleteWorkflow(id) {
      return q.delete.run(id).changes > 0;
    },
  };
}

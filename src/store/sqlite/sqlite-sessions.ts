/**
 * Sessions of the SQLite store (table of migration 3): one row per session, the record as
 * JSON beside the columns a query may filter on. Writes are single-row upserts by primary key.
 * Records arrive checked and copied (checkedStore).
 * @module
 */
import type { Database } from 'better-sqlite3';
import type { SessionRecord, SessionStore } from '../roles/index.ts';

/** A row of `sessions`. */
interface SessionRow {
  id: string;
  status: string;
  record: string;
  updated_at: string;
}

const toRecord = (r: SessionRow): SessionRecord => JSON.parse(r.record) as SessionRecord;

/** The sessions role of a SQLite store on `db`. */
export function createSqliteSessions(db: Database): SessionStore {
  const q = {
    put: db.prepare(
      `INSERT INTO sessions (id, status, record, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, record = excluded.record,
         updated_at = excluded.updated_at`,
    ),
    get: db.prepare('SELECT * FROM sessions WHERE id = ?'),
    list: db.prepare('SELECT * FROM sessions ORDER BY id'),
    delete: db.prepare('DELETE FROM sessions WHERE id = ?'),
  };
  return {
    async putSession(r) {
      q.put.run(r.id, r.status, JSON.stringify(r), r.updatedAt);
    },

    async getSession(id) {
      const row = q.get.get(id) as SessionRow | undefined;
      return row === undefined ? undefined : toRecord(row);
    },

    async listSessions() {
      return (q.list.all() as SessionRow[]).map(toRecord);
    },

    async deleteSession(id) {
      return q.delete.run(id).changes > 0;
    },
  };
}

/**
 * Trigger states of the SQLite store (table `trigger_states`, migration 2): single-row upserts
 * by primary key, listed in id order. States arrive checked and copied (checkedStore).
 * @module
 */
import type { Database } from 'better-sqlite3';
import type { TriggerState, TriggerStore } from '../roles/index.ts';

/** A row of `trigger_states`. */
interface TriggerStateRow {
  id: string;
  workflow_id: string;
  paused: number;
  last_fire_at: string | null;
  last_result: string | null;
  updated_at: string;
}

const toState = (r: TriggerStateRow): TriggerState => ({
  id: r.id,
  workflowId: r.workflow_id,
  paused: r.paused !== 0,
  lastFireAt: r.last_fire_at,
  lastResult:
    r.last_result === null ? null : (JSON.parse(r.last_result) as TriggerState['lastResult']),
  updatedAt: r.updated_at,
});

/** The trigger-states role of a SQLite store on `db`. */
export function createSqliteTriggers(db: Database): TriggerStore {
  const q = {
    get: db.prepare('SELECT * FROM trigger_states WHERE id = ?'),
    put: db.prepare(
      `INSERT INTO trigger_states (id, workflow_id, paused, last_fire_at, last_result, updated_at)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET workflow_id = excluded.workflow_id,
         paused = excluded.paused, last_fire_at = excluded.last_fire_at,
         last_result = excluded.last_result, updated_at = excluded.updated_at`,
    ),
    list: db.prepare('SELECT * FROM trigger_states ORDER BY id'),
    delete: db.prepare('DELETE FROM trigger_states WHERE id = ?'),
  };

  return {
    async getTriggerState(triggerId) {
      const row = q.get.get(triggerId) as TriggerStateRow | undefined;
      return row === undefined ? undefined : toState(row);
    },

    async putTriggerState(s) {
      const result = s.lastResult === null ? null : JSON.stringify(s.lastResult);
      q.put.run(s.id, s.workflowId, s.paused ? 1 : 0, s.lastFireAt, result, s.updatedAt);
    },

    async listTriggerStates() {
      return (q.list.all() as TriggerStateRow[]).map(toState);
    },

    async deleteTriggerState(triggerId) {
      q.delete.run(triggerId);
    },
  };
}

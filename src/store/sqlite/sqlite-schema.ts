/**
 * The SQLite schema as an ordered list of migrations. `schema_version` holds the number of the
 * last one applied; opening a database applies the rest, each in its own transaction.
 * Add a migration by appending to SQLITE_MIGRATIONS; never edit one that has shipped.
 * @module
 */
import type { Database } from 'better-sqlite3';

/** One schema step: `version` is its position (1-based), `sql` runs in one transaction. */
export interface SqliteMigration {
  version: number;
  description: string;
  sql: string;
}

/** Every migration, in order. */
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'workflows, executions, steps, bounded logs',
    sql: `
      CREATE TABLE workflows (
        id          TEXT PRIMARY KEY,
        definition  TEXT NOT NULL,
        source      TEXT,
        version     INTEGER NOT NULL,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      );
      CREATE TABLE executions (
        id           TEXT PRIMARY KEY,
        workflow_id  TEXT NOT NULL,
        status       TEXT NOT NULL,
        error        TEXT,
        engine_id    TEXT,
        node         TEXT,
        created_at   TEXT NOT NULL,
        started_at   TEXT,
        finished_at  TEXT
      ) WITHOUT ROWID;
      -- Input and definition live apart so that updating a run rewrites a small row only.
      CREATE TABLE execution_payloads (
        execution_id  TEXT PRIMARY KEY REFERENCES executions (id) ON DELETE CASCADE,
        input         TEXT NOT NULL,
        definition    TEXT NOT NULL
      );
      CREATE INDEX executions_by_workflow ON executions (workflow_id, id);
      CREATE INDEX executions_by_status ON executions (status, id);
      CREATE TABLE steps (
        execution_id  TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
        step_id       TEXT NOT NULL,
        ordinal       INTEGER NOT NULL,
        status        TEXT NOT NULL,
        attempts      INTEGER NOT NULL,
        exit_code     INTEGER,
        started_at    TEXT,
        finished_at   TEXT,
        error         TEXT,
        PRIMARY KEY (execution_id, step_id)
      ) WITHOUT ROWID;
      CREATE TABLE logs (
        seq           INTEGER PRIMARY KEY,
        execution_id  TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
        step_id       TEXT NOT NULL,
        stream        TEXT NOT NULL,
        line          TEXT NOT NULL,
        ts            TEXT NOT NULL
      );
      CREATE INDEX logs_by_step ON logs (execution_id, step_id);
      CREATE TABLE log_counts (
        execution_id  TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
        step_id       TEXT NOT NULL,
        kept          INTEGER NOT NULL,
        dropped       INTEGER NOT NULL,
        PRIMARY KEY (execution_id, step_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'trigger states, idempotency claims',
    sql: `
      CREATE TABLE trigger_states (
        id            TEXT PRIMARY KEY,
        workflow_id   TEXT NOT NULL,
        paused        INTEGER NOT NULL,
        last_fire_at  TEXT,
        last_result   TEXT,
        updated_at    TEXT NOT NULL
      ) WITHOUT ROWID;
      -- expires_ms (epoch ms) orders and purges claims; the ISO strings are returned as given.
      CREATE TABLE idempotency_keys (
        scope         TEXT NOT NULL,
        key           TEXT NOT NULL,
        execution_id  TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        expires_at    TEXT NOT NULL,
        expires_ms    INTEGER NOT NULL,
        PRIMARY KEY (scope, key)
      ) WITHOUT ROWID;
      CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_ms);
    `,
  },
  {
    version: 3,
    description: 'sessions',
    sql: `
      CREATE TABLE sessions (
        id          TEXT PRIMARY KEY,
        status      TEXT NOT NULL,
        record      TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    description: 'durable processes: lost attempts, attempt start and retry deadline, log attempt',
    sql: `
      ALTER TABLE steps ADD COLUMN lost_attempts INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE steps ADD COLUMN attempt_started_at TEXT;
      ALTER TABLE steps ADD COLUMN retry_at TEXT;
      ALTER TABLE logs ADD COLUMN attempt INTEGER;
    `,
  },
  {
    version: 5,
    description: 'retention: finished executions by finish time',
    // Partial: a run enters it once, when it finishes; running ones cost nothing. Its entries
    // are (finished_at, id), so pruning finds the oldest and the N-th newest from the index
    // alone (a status term in its predicate would cost a table read per entry: 100,000 finished
    // runs, ~60 ms against ~5 ms).
    sql: `
      CREATE INDEX executions_finished ON executions (finished_at)
        WHERE finished_at IS NOT NULL;
    `,
  },
  {
    version: 6,
    description: 'step outputs (JSON text)',
    sql: `ALTER TABLE steps ADD COLUMN outputs TEXT;`,
  },
  {
    version: 7,
    description: 'child runs: parent link of a run, child execution id of a step',
    sql: `
      ALTER TABLE execution_payloads ADD COLUMN parent TEXT;
      ALTER TABLE steps ADD COLUMN child_execution_id TEXT;
    `,
  },
  {
    version: 8,
    description: "forEach: a step's item count; a new step's ordinal from an index, not a scan",
    // A forEach step adds up to 10,000 step records to a run: MAX(ordinal) over the run's rows
    // made each insert O(steps), the whole fan-out O(n^2) (10,000 instances: ~4 s of scans).
    sql: `
      ALTER TABLE steps ADD COLUMN items INTEGER;
      CREATE INDEX steps_by_ordinal ON steps (execution_id, ordinal);
    `,
  },
  {
    version: 9,
    description: 'approval steps: what a step waits for and the decision (JSON text)',
    sql: `ALTER TABLE steps ADD COLUMN approval TEXT;`,
  },
  {
    version: 10,
    description: 'retry: the run a run retries, a step kept from it',
    sql: `
      ALTER TABLE execution_payloads ADD COLUMN retry_of TEXT;
      ALTER TABLE steps ADD COLUMN reused INTEGER;
    `,
  },
  {
    version: 11,
    description: 'pause: who paused a run, when and why (JSON), null when it is not paused',
    sql: `
      ALTER TABLE executions ADD COLUMN paused TEXT;
    `,
  },
  {
    version: 14,
    description:
      'flow: the queue priority of a run (1 highest to 5, null for the default 3) and why a per-key limit holds it (JSON)',
    sql: `
      ALTER TABLE execution_payloads ADD COLUMN priority INTEGER;
      ALTER TABLE executions ADD COLUMN waiting TEXT;
    `,
  },
  {
    version: 15,
    description: "artifacts: a step's kept and refused files (JSON text)",
    sql: `ALTER TABLE steps ADD COLUMN artifacts TEXT;`,
  },
];

/** The schema version this code writes. */
export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS.at(-1)?.version ?? 0;

/** Applies the migrations `db` lacks; throws when the file is newer than this code. */
export function migrateSqlite(db: Database): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const readVersion = (): number => {
    const row = db.prepare('SELECT version FROM schema_version').get() as
      { version: number } | undefined;
    return row?.version ?? 0;
  };
  const current = readVersion();
  if (current > SQLITE_SCHEMA_VERSION) {
    throw new Error(
      `database schema version ${current} is newer than this build (${SQLITE_SCHEMA_VERSION})`,
    );
  }
  for (const m of SQLITE_MIGRATIONS) {
    if (m.version <= current) continue;
    // Immediate: takes the write lock first, so two processes opening one file migrate once.
    db.transaction(() => {
      if (readVersion() >= m.version) return;
      db.exec(m.sql);
      db.prepare('DELETE FROM schema_version').run();
      db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(m.version);
    }).immediate();
  }
  return SQLITE_SCHEMA_VERSION;
}

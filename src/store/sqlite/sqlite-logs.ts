/**
 * Bounded step logs on SQLite: lines in `logs` (seq = insertion order), and per step the number
 * of lines kept and dropped in `log_counts`, so the bound costs one small read per step and
 * batch instead of a count over the step's lines. Lines arrive cut to the length limit
 * (checkedStore).
 * @module
 */
import type { Database } from 'better-sqlite3';
import { NotFoundError } from '../../errors.ts';
import { planLogBound } from '../limits.ts';
import type { LogLine, LogStore } from '../roles/index.ts';
import type { StoreLimits } from '../types.ts';
import { toLogLine, type LogRow } from './sqlite-rows.ts';

interface CountRow {
  step_id: string;
  kept: number;
  dropped: number;
}

/** The logs role of a SQLite store on `db`, under the per-step bound of `limits`. */
export function createSqliteLogs(
  db: Database,
  limits: Pick<StoreLimits, 'maxLogLinesPerStep'>,
): LogStore {
  const q = {
    exExists: db.prepare('SELECT 1 FROM executions WHERE id = ?').pluck(),
    countGet: db.prepare(
      'SELECT kept, dropped FROM log_counts WHERE execution_id = ? AND step_id = ?',
    ),
    countPut: db.prepare(
      `INSERT INTO log_counts (execution_id, step_id, kept, dropped) VALUES (?, ?, ?, ?)
       ON CONFLICT (execution_id, step_id) DO UPDATE SET kept = excluded.kept,
         dropped = excluded.dropped`,
    ),
    dropOldest: db.prepare(
      `DELETE FROM logs WHERE seq IN (SELECT seq FROM logs WHERE execution_id = ? AND step_id = ?
         ORDER BY seq LIMIT ?)`,
    ),
    insert: db.prepare(
      'INSERT INTO logs (execution_id, step_id, stream, line, ts, attempt) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    all: db.prepare(
      'SELECT step_id, stream, line, ts, attempt FROM logs WHERE execution_id = ? ORDER BY seq',
    ),
    ofStep: db.prepare(
      'SELECT step_id, stream, line, ts, attempt FROM logs WHERE execution_id = ? AND step_id = ? ORDER BY seq',
    ),
    countsAll: db.prepare(
      'SELECT step_id, kept, dropped FROM log_counts WHERE execution_id = ? AND dropped > 0',
    ),
    countsOfStep: db.prepare(
      `SELECT step_id, kept, dropped FROM log_counts
       WHERE execution_id = ? AND step_id = ? AND dropped > 0`,
    ),
  };

  const append = db.transaction((executionId: string, lines: LogLine[]) => {
    const perStep = new Map<string, number>();
    for (const l of lines) perStep.set(l.stepId, (perStep.get(l.stepId) ?? 0) + 1);
    // Leading lines of this batch to skip per step: they would be dropped at once.
    const skip = new Map<string, number>();
    for (const [stepId, incoming] of perStep) {
      const c = (q.countGet.get(executionId, stepId) as CountRow | undefined) ?? {
        kept: 0,
        dropped: 0,
      };
      const plan = planLogBound(c.kept, incoming, limits.maxLogLinesPerStep);
      if (plan.dropStored > 0) q.dropOldest.run(executionId, stepId, plan.dropStored);
      if (plan.skipNew > 0) skip.set(stepId, plan.skipNew);
      q.countPut.run(
        executionId,
        stepId,
        c.kept - plan.dropStored + incoming - plan.skipNew,
        c.dropped + plan.dropStored + plan.skipNew,
      );
    }
    for (const l of lines) {
      const left = skip.get(l.stepId);
      if (left !== undefined && left > 0) {
        skip.set(l.stepId, left - 1);
        continue;
      }
      q.insert.run(executionId, l.stepId, l.stream, l.line, l.ts, l.attempt ?? null);
    }
  });

  return {
    async appendLogs(executionId, lines) {
      if (q.exExists.get(executionId) === undefined) {
        throw new NotFoundError('execution', executionId);
      }
      if (lines.length > 0) append.immediate(executionId, lines);
    },

    async getLogs(executionId, { stepId } = {}) {
      const rows = (
        stepId === undefined ? q.all.all(executionId) : q.ofStep.all(executionId, stepId)
      ) as LogRow[];
      const counts = (
        stepId === undefined
          ? q.countsAll.all(executionId)
          : q.countsOfStep.all(executionId, stepId)
      ) as CountRow[];
      const truncated: Record<string, number> = {};
      for (const c of counts) truncated[c.step_id] = c.dropped;
      return { lines: rows.map(toLogLine), truncated };
    },
  };
}

/**
 * Listing executions on JetStream KV, newest first. Ids are time-sortable, so the candidates are
 * a key scan sorted in reverse; the scan is narrowed by the index bucket where it can be:
 * `wf.<workflowId>.*` for a workflow filter (O(that workflow's runs)), `open.*` for a non-final
 * status and for listUnfinishedExecutions (O(unfinished runs)); a final-status filter without a
 * workflow scans every execution key (O(all runs)). Candidates are then read a page at a time
 * and checked against their summary, since the index is a superset.
 * @module
 */
import type { JetStreamContext } from './jetstream-context.ts';
import type { JetStreamExecutions } from './jetstream-executions.ts';
import { fromToken, lastToken, storeKeys } from './jetstream-names.ts';
import { copySummary, isFinal } from './jetstream-records.ts';
import { listKeys, mapBounded } from './jetstream-scan.ts';
import { decodeCursor, resolvePageLimit, toPage } from '../cursor.ts';
import type {
  ExecutionQuery,
  ExecutionRecord,
  ExecutionStore,
  ExecutionSummary,
} from '../roles/index.ts';

/** Reads in flight while listing. */
const READ_IN_FLIGHT = 32;
/** Full execution reads in flight for listUnfinished. */
const FULL_READS_IN_FLIGHT = 8;

/** The listing operations of the Store. */
export type JetStreamExecutionList = Pick<
  ExecutionStore,
  'listExecutions' | 'listUnfinishedExecutions'
>;

/** Listing over the buckets of `ctx`, reading records through `executions`. */
export function createJetStreamExecutionList(
  ctx: JetStreamContext,
  executions: JetStreamExecutions,
): JetStreamExecutionList {
  const indexIds = async (pattern: string): Promise<string[]> =>
    (await listKeys(ctx.index, pattern)).map((k) => fromToken(lastToken(k)));

  const candidates = async (query: ExecutionQuery): Promise<string[]> => {
    const open = query.status !== undefined && !isFinal(query.status);
    if (query.workflowId !== undefined) {
      const ids = await indexIds(storeKeys.byWorkflowAll(query.workflowId));
      if (!open) return ids;
      const unfinished = new Set(await indexIds(storeKeys.openAll));
      return ids.filter((id) => unfinished.has(id));
    }
    if (open) return indexIds(storeKeys.openAll);
    return (await listKeys(ctx.executions.kv, storeKeys.allExecutions)).map(fromToken);
  };

  return {
    async listExecutions(query: ExecutionQuery = {}) {
      const limit = resolvePageLimit(query.limit);
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const ids = (await candidates(query))
        .filter((id) => after === undefined || id < after)
        .sort()
        .reverse();
      const rows: ExecutionSummary[] = [];
      for (let i = 0; i < ids.length && rows.length <= limit;) {
        const batch = ids.slice(i, i + limit + 1 - rows.length);
        i += batch.length;
        const values = await mapBounded(batch, READ_IN_FLIGHT, (id) => executions.ready(id));
        for (const v of values) {
          if (v === null) continue;
          if (query.workflowId !== undefined && v.summary.workflowId !== query.workflowId) continue;
          if (query.status !== undefined && v.summary.status !== query.status) continue;
          rows.push(copySummary(v.summary));
        }
      }
      return toPage(rows, limit, (e) => e.id);
    },

    async listUnfinishedExecutions() {
      const ids = (await indexIds(storeKeys.openAll)).sort();
      const records = await mapBounded(ids, FULL_READS_IN_FLIGHT, async (id) => {
        const rec = await executions.getExecution(id);
        // A final run still indexed as open: its updater stopped between the two writes.
        if (rec !== undefined && isFinal(rec.status)) await executions.dropOpen(id);
        return rec;
      });
      return records.filter((r): r is ExecutionRecord => r !== undefined && !isFinal(r.status));
    },
  };
}

/**
 * Workflows of the in-memory store: one Map of copies, listed in id order.
 * @module
 */
import { decodeCursor, resolvePageLimit, toPage } from '../cursor.ts';
import { jsonCopy } from '../record-copy.ts';
import type { WorkflowRecord, WorkflowStore } from '../roles/index.ts';

/** The workflows role of a memory store. */
export function createMemoryWorkflows(): WorkflowStore {
  const workflows = new Map<string, WorkflowRecord>();
  return {
    async putWorkflow(rec) {
      const prev = workflows.get(rec.id);
      const copy: WorkflowRecord = {
        id: rec.id,
        definition: jsonCopy(rec.definition),
        version: prev === undefined ? 1 : prev.version + 1,
        createdAt: prev === undefined ? rec.createdAt : prev.createdAt,
        updatedAt: rec.updatedAt,
      };
      if (rec.source != null) copy.source = rec.source;
      workflows.set(rec.id, copy);
    },

    async getWorkflow(id) {
      const w = workflows.get(id);
      return w === undefined ? undefined : jsonCopy(w);
    },

    async listWorkflows(query = {}) {
      const limit = resolvePageLimit(query.limit);
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const ids = [...workflows.keys()].sort().filter((id) => after === undefined || id > after);
      const rows = ids.slice(0, limit + 1).map((id) => jsonCopy(workflows.get(id)!));
      return toPage(rows, limit, (w) => w.id);
    },

    async deleteWorkflow(id) {
      return workflows.delete(id);
    },
  };
}

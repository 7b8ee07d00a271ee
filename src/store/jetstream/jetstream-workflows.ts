/**
 * Workflows in the `<prefix>_workflows` bucket, one key per id. The version is assigned with a
 * revision-checked update (1 on first put, +1 on every replace, createdAt kept). A body
 * (definition + source) too big for one message goes to chunks under a key unique to that write,
 * written before the record and purged after it is replaced or deleted. Listing scans the keys
 * (O(workflows)), sorts them by id and reads one page.
 * @module
 */
import { nuid } from '@nats-io/transport-node';
import type { WorkflowDefinition } from '../../workflow/index.ts';
import {
  jsonBytes,
  purgeChunks,
  readChunks,
  writeChunks,
  type ChunkRef,
} from './jetstream-chunks.ts';
import type { JetStreamContext } from './jetstream-context.ts';
import { fromToken, storeKeys } from './jetstream-names.ts';
import { listKeys, mapBounded } from './jetstream-scan.ts';
import { decodeCursor, resolvePageLimit, toPage } from '../cursor.ts';
import type { WorkflowRecord, WorkflowStore } from '../roles/index.ts';

interface WorkflowBody {
  definition: WorkflowDefinition;
  source?: string;
}

/** The stored value: metadata and either the body inline or a reference to its chunks. */
interface StoredWorkflow {
  id: string;
  version: number;
  createdAt: string;
  updatedAt: string;
  body?: WorkflowBody;
  bodyRef?: ChunkRef;
}

/** Bytes of a workflow value left for its metadata. */
const META_ROOM = 1024;
/** Reads in flight while listing. */
const READ_IN_FLIGHT = 16;

/** The workflows role of the JetStream store, over `ctx.workflows`. */
export function createJetStreamWorkflows(ctx: JetStreamContext): WorkflowStore {
  const { workflows } = ctx;
  const bucket = ctx.names.buckets.workflows;
  const chunkBytes = ctx.opts.maxValueBytes;

  const toRecord = (stored: StoredWorkflow, body: WorkflowBody): WorkflowRecord => {
    const rec: WorkflowRecord = {
      id: stored.id,
      definition: body.definition,
      version: stored.version,
      createdAt: stored.createdAt,
      updatedAt: stored.updatedAt,
    };
    if (body.source != null) rec.source = body.source;
    return rec;
  };

  const get = async (id: string, retry = true): Promise<WorkflowRecord | undefined> => {
    const stored = await workflows.get<StoredWorkflow>(storeKeys.workflow(id));
    if (stored === null) return undefined;
    const { body, bodyRef } = stored.value;
    if (body !== undefined) return toRecord(stored.value, structuredClone(body));
    try {
      return toRecord(stored.value, await readChunks<WorkflowBody>(workflows.kv, bodyRef!));
    } catch (err) {
      // Replaced (and its old chunks purged) between the two reads: read the new one.
      if (retry) return get(id, false);
      throw err;
    }
  };

  return {
    async putWorkflow(rec) {
      const body: WorkflowBody = { definition: rec.definition };
      if (rec.source != null) body.source = rec.source;
      let bodyRef: ChunkRef | undefined;
      if (jsonBytes(body) > chunkBytes - META_ROOM) {
        const key = storeKeys.workflowBody(rec.id, nuid.next());
        bodyRef = await writeChunks(workflows.kv, key, body, chunkBytes);
      }
      try {
        const { previous } = await workflows.modify<StoredWorkflow>(
          storeKeys.workflow(rec.id),
          (cur) => ({
            id: rec.id,
            version: cur === null ? 1 : cur.value.version + 1,
            createdAt: cur === null ? rec.createdAt : cur.value.createdAt,
            updatedAt: rec.updatedAt,
            ...(bodyRef === undefined ? { body } : { bodyRef }),
          }),
        );
        if (previous?.value.bodyRef !== undefined) {
          await purgeChunks(ctx.jsm, bucket, previous.value.bodyRef);
        }
      } catch (err) {
        if (bodyRef !== undefined) await purgeChunks(ctx.jsm, bucket, bodyRef);
        throw err;
      }
    },

    getWorkflow: (id) => get(id),

    async listWorkflows(query = {}) {
      const limit = resolvePageLimit(query.limit);
      const after = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      const ids = (await listKeys(workflows.kv, storeKeys.allWorkflows))
        .map(fromToken)
        .filter((id) => after === undefined || id > after)
        .sort();
      const rows: WorkflowRecord[] = [];
      for (let i = 0; i < ids.length && rows.length <= limit;) {
        const batch = ids.slice(i, i + limit + 1 - rows.length);
        i += batch.length;
        for (const w of await mapBounded(batch, READ_IN_FLIGHT, (id) => get(id))) {
          if (w !== undefined) rows.push(w);
        }
      }
      return toPage(rows, limit, (w) => w.id);
    },

    async deleteWorkflow(id) {
      const removed = await workflows.remove<StoredWorkflow>(storeKeys.workflow(id));
      if (removed?.value.bodyRef !== undefined) {
        await purgeChunks(ctx.jsm, bucket, removed.value.bodyRef);
      }
      return removed !== null;
    },
  };
}

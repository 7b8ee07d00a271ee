/**
 * The document of one workflow in the queued bucket (`<prefix>_queued`): the runs of the
 * workflow admitted and not yet taken from the cluster's work queue, by execution id, with the
 * time each was admitted. It is a set, not a counter, so every change is idempotent (a request
 * delivered twice leaves twice, harmlessly) and a place left by a killed node can be found and
 * freed by the id it names (jetstream-queued-runs.ts). Changes are pure steps applied to the
 * document as read; the bucket writes the result at the revision read.
 * @module
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Runs of one workflow waiting in the shared queue. */
export interface QueuedDoc {
  workflowId: string;
  /** Execution id → when it was admitted (epoch ms). */
  runs: Record<string, number>;
}

const queuedDocSchema = z.object({
  workflowId: z.string(),
  runs: z.record(z.string(), z.number()),
});

/** One change to a document. */
export type QueuedOp =
  | { kind: 'enter'; executionId: string; limit: number; at: number }
  | { kind: 'leave'; executionId: string };

/** Parses a stored document; throws on anything else. */
export function parseQueuedDoc(bytes: Uint8Array): QueuedDoc {
  return queuedDocSchema.parse(JSON.parse(new TextDecoder().decode(bytes)));
}

/** The bucket key of a workflow's document (any workflow id becomes a valid key). */
export function queuedDocKey(workflowId: string): string {
  return `w.${createHash('sha256').update(workflowId).digest('hex').slice(0, 32)}`;
}

/**
 * Applies `op` to `doc` in place; answers whether it was granted (an `enter` is refused when
 * the workflow already has `limit` runs waiting; one already in is granted again).
 */
export function applyQueuedOp(doc: QueuedDoc, op: QueuedOp): boolean {
  if (op.kind === 'leave') {
    delete doc.runs[op.executionId];
    return true;
  }
  if (doc.runs[op.executionId] !== undefined) return true;
  if (Object.keys(doc.runs).length >= op.limit) return false;
  doc.runs[op.executionId] = op.at;
  return true;
}

/**
 * Admission control of `execute`: a run is admitted only while fewer than the node's
 * `queueLimit` runs wait for a slot, and fewer than its workflow's `maxQueuedExecutions`;
 * otherwise it is refused with `queue_full` (429, `retryAfterMs`) before its record exists.
 *
 * What waits is what the work queue holds plus the runs admitted but not queued yet (their
 * record is being written): each admission reserves a place until its run is in the queue, so a
 * burst of concurrent executes cannot overshoot the bound while their writes are in flight. Both
 * counts are O(1): the queue's size and its count per workflow (`WorkQueue.sizeOf`), and two
 * counters here. A queue that cannot count per workflow (the cluster's shared stream) holds the
 * workflow bound itself, across every node (`WorkQueue.reserve`, one revision-checked write):
 * asked only for workflows that set `maxQueuedExecutions`, so others pay no round trip.
 * @module
 */
import { QueueFullError } from '../../errors.ts';
import type { WorkQueue } from '../work-queue/index.ts';

/** What a client refused because a queue is full is told to wait before trying again. */
export const QUEUE_FULL_RETRY_AFTER_MS = 1000;

/** What admission reads. */
export interface AdmissionContext {
  queue: Pick<WorkQueue, 'size' | 'sizeOf' | 'reserve' | 'unreserve'>;
  /** Runs waiting on this node before new ones are refused. */
  queueLimit: number;
}

/** A place held for one admitted run; give it back once the run is queued or abandoned. */
export type AdmissionTicket = () => void;

/** Counts waiting runs and refuses those beyond the bounds. */
export class Admission {
  #reserved = 0;
  readonly #reservedOf = new Map<string, number>();

  constructor(private readonly ctx: AdmissionContext) {}

  /** Runs admitted and not queued yet. */
  get reserved(): number {
    return this.#reserved;
  }

  /**
   * Holds a place for one run of `workflowId`, or throws QueueFullError when the node's queue
   * or the workflow's (`maxQueued`, when set) is full. Call the returned ticket exactly once.
   */
  admit(workflowId: string, maxQueued?: number): AdmissionTicket {
    const { queue, queueLimit } = this.ctx;
    const retryAfterMs = QUEUE_FULL_RETRY_AFTER_MS;
    if (queue.size() + this.#reserved >= queueLimit) {
      throw new QueueFullError({ scope: 'node', limit: queueLimit, retryAfterMs });
    }
    const reservedOf = this.#reservedOf.get(workflowId) ?? 0;
    if (maxQueued !== undefined && queue.sizeOf !== undefined) {
      if (queue.sizeOf(workflowId) + reservedOf >= maxQueued) {
        throw new QueueFullError({ scope: 'workflow', workflowId, limit: maxQueued, retryAfterMs });
      }
    }
    this.#reserved++;
    this.#reservedOf.set(workflowId, reservedOf + 1);
    let settled = false;
    return () => {
      if (settled) return;
      settled = true;
      this.#reserved--;
      const left = (this.#reservedOf.get(workflowId) ?? 1) - 1;
      if (left > 0) this.#reservedOf.set(workflowId, left);
      else this.#reservedOf.delete(workflowId);
    };
  }

  /**
   * A shared queue's workflow bound (after `admit`): holds a place for `executionId` across
   * every node, or throws QueueFullError. The ticket gives the place back: call it only if the
   * run is not queued after all (a queued run's taker frees it). Undefined, with nothing to
   * await, where there is no such bound (`maxQueued` unset, or a queue counting in process).
   */
  admitShared(
    workflowId: string,
    executionId: string,
    maxQueued?: number,
  ): Promise<AdmissionTicket> | undefined {
    const { queue } = this.ctx;
    if (maxQueued === undefined || !queue.reserve) return undefined;
    return queue.reserve(workflowId, executionId, maxQueued).then((granted) => {
      if (!granted) {
        const retryAfterMs = QUEUE_FULL_RETRY_AFTER_MS;
        throw new QueueFullError({ scope: 'workflow', workflowId, limit: maxQueued, retryAfterMs });
      }
      return () => queue.unreserve?.(workflowId, executionId);
    });
  }
}

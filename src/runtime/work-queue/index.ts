/**
 * The work queue module: the `WorkQueue` seam and its two implementations (in process for
 * embedded mode, JetStream for cluster mode), with one lane per priority.
 * @module
 */
export type { WorkConsumer, WorkItem, WorkLease, WorkQueue } from './types.ts';
export { MemoryWorkQueue } from './memory-work-queue.ts';
export { createJetStreamWorkQueue } from './jetstream-work-queue.ts';
export type { JetStreamWorkQueueOptions } from './jetstream-work-queue.ts';
export type { QueuedRunState } from './jetstream-queued-runs.ts';
export {
  DEFAULT_PRIORITY,
  HIGHEST_PRIORITY,
  LOWEST_PRIORITY,
  PRIORITIES,
  laneOf,
} from './priority.ts';

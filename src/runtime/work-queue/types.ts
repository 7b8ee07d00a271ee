/**
 * The work queue seam: execution requests waiting for an engine slot. A queue delivers items
 * to one consumer (the dispatcher) only while the consumer reports capacity, and each item
 * comes with a lease: `done()` once the run has finished (its final record is stored),
 * `release()` to hand it back (an engine refused it, or the process is shutting down).
 * In process: a bounded FIFO that also counts its items per workflow (admission control,
 * execution-service.ts; memory-work-queue.ts). Cluster mode: a JetStream work-queue stream
 * (jetstream-work-queue.ts), whose per-workflow bound is a shared document per workflow
 * (jetstream-queued-runs.ts). Both deliver higher priorities first and FIFO within one
 * (priority.ts) and run test/conformance/work-queue.case.ts.
 * @module
 */

/** One queued execution request. */
export interface WorkItem {
  executionId: string;
  /** The run's workflow: queues that can count per workflow do (`sizeOf`). */
  workflowId?: string;
  /** 1 (highest) to 5 (lowest); absent: DEFAULT_PRIORITY. Higher first, FIFO within one. */
  priority?: number;
  /** The run holds a place in its workflow's shared bound (`reserve`): its taker frees it. */
  reserved?: true;
}

/** The right to run one item; settle it exactly once. */
export interface WorkLease {
  /** The run finished: never deliver the item again. */
  done(): void;
  /** Give the item back to the queue for anyone to take. */
  release(): void;
  /** Still working on it (extends the lease where leases expire). */
  touch(): void;
}

/** Who consumes the queue. */
export interface WorkConsumer {
  /** How many more items it can take right now. */
  capacity(): number;
  /** Receives one item; it must settle the lease. */
  take(item: WorkItem, lease: WorkLease): void;
}

/** The work queue interface. */
export interface WorkQueue {
  /** The implementation's name, for logs. */
  readonly kind: string;
  /**
   * Other processes take items pushed here (a run queued here may run elsewhere). The service's
   * topology (../topology.ts) is resolved from this once; nothing else reads it.
   */
  readonly shared: boolean;
  /**
   * Adds an item; rejects when full (`queue_full` in process) unless `overLimit` (a run accepted
   * before a restart, queued again: the bound is for new runs). `again`: the run was queued
   * before (a run a flow limit held, let go): a token that tells this push from the first, which
   * a shared queue's duplicate detection (by execution id) would otherwise drop.
   */
  push(item: WorkItem, opts?: { overLimit?: boolean; again?: string }): Promise<void>;
  /** Starts delivering to `consumer`. */
  start(consumer: WorkConsumer): void;
  /** The consumer's capacity may have grown: deliver more. */
  poke(): void;
  /** Removes a locally queued item if the queue can; true when removed. */
  remove(executionId: string): boolean;
  /** Items waiting (as far as this process can tell). */
  size(): number;
  /**
   * Items of one workflow waiting, in O(1); absent where the queue cannot tell (a cluster queue
   * shared by every process).
   */
  sizeOf?(workflowId: string): number;
  /**
   * Where `sizeOf` cannot tell (a shared queue): holds a place for `executionId` among at most
   * `limit` runs of `workflowId` waiting across every process; false when they are full. A run
   * pushed with `reserved` keeps its place until a process takes it; one never pushed gives it
   * back with `unreserve`.
   */
  reserve?(workflowId: string, executionId: string, limit: number): Promise<boolean>;
  /** Gives back a place `reserve` held for a run that was not queued after all. */
  unreserve?(workflowId: string, executionId: string): void;
  /** Stops delivering; items not taken stay queued (cluster) or are dropped (memory). */
  close(): Promise<void>;
}

/**
 * The store seam: one `Store` made of six roles (roles/): workflows, executions, logs, trigger
 * states, sessions and idempotency claims. Implemented in memory (tests, ephemeral runs), on
 * SQLite (embedded) and on JetStream KV (cluster); every implementation is wrapped by
 * `checkedStore` (checked-store.ts), which does the checks they share.
 * All timestamps are ISO-8601 strings.
 * @module
 */
import type {
  ClaimStore,
  ExecutionStore,
  LogStore,
  SessionStore,
  TriggerStore,
  WorkflowStore,
} from './roles/index.ts';

/** The store interface: every role, a kind and close. */
export interface Store
  extends WorkflowStore, ExecutionStore, LogStore, TriggerStore, SessionStore, ClaimStore {
  /** The implementation: `memory`, `sqlite` or `jetstream`. */
  readonly kind: string;
  /** Idempotent; every later call is refused as `unavailable`. */
  close(): Promise<void>;
}

/** Options every store implementation accepts. */
export interface StoreLimits {
  /** Lines kept per step. @default 1000 */
  maxLogLinesPerStep: number;
  /** Characters kept per line; longer lines are cut and marked. @default 8192 */
  maxLineLength: number;
}

/** Limits of a store whose options set none. */
export const DEFAULT_STORE_LIMITS: StoreLimits = { maxLogLinesPerStep: 1000, maxLineLength: 8192 };

/**
 * The store module: the Store seam, its six roles and its three implementations.
 *
 * - Roles (roles/): `WorkflowStore`, `ExecutionStore`, `LogStore`, `TriggerStore`,
 *   `SessionStore`, `ClaimStore`, each with its records and queries; `Store` (types.ts) is all
 *   of them plus `kind` and `close()`. `Page`, `StoreLimits`, `DEFAULT_STORE_LIMITS`,
 *   `FINAL_EXECUTION_STATUSES`, `PruneQuery` and `MAX_PRUNE_LIMIT` (retention).
 * - `createMemoryStore` (memory/): the in-memory store (tests, ephemeral runs).
 * - `createSqliteStore`, `resolveSqliteStoreOptions`, `DEFAULT_SQLITE_BUSY_TIMEOUT_MS`,
 *   `SQLITE_MIGRATIONS`, `SQLITE_SCHEMA_VERSION`, `WriteBatch` (sqlite/): the embedded store.
 * - `createJetStreamStore`, `resolveJetStreamStoreOptions`, `DEFAULT_JETSTREAM_REPLICAS`,
 *   `DEFAULT_MAX_VALUE_BYTES`, `DEFAULT_CACHE_ENTRIES`, `DEFAULT_MAX_UPDATE_ATTEMPTS`,
 *   `IDEMPOTENCY_BUCKET_MAX_AGE_MS` (jetstream/): the cluster store on JetStream KV and streams;
 *   `storeNames`, `toToken`, `fromToken`, `DEFAULT_STORE_PREFIX`: its bucket/stream names and
 *   key tokens; `ensureEventStream`, `resolveEventStreamOptions`, `DEFAULT_EVENT_STREAM_*`: the
 *   bounded stream of actors' outbound events.
 * - `checkedStore`: the checks every store shares, done once above the implementations (every
 *   factory returns its store through it); `MAX_IDEMPOTENCY_TOKEN_LENGTH`: longest claim scope/key.
 * - `resolveStoreLimits`, `truncateLine`, `truncationMarker`: limits shared by every store.
 * - `encodeCursor`, `decodeCursor`, `resolvePageLimit`, `DEFAULT_PAGE_LIMIT`, `MAX_PAGE_LIMIT`: paging.
 * - `copyStep`, `copySummary`, `jsonCopy`, `pendingStep`: record copies.
 * @module
 */
export {
  FINAL_EXECUTION_STATUSES,
  MAX_PRUNE_LIMIT,
  type ClaimStore,
  type ExecutionLogs,
  type ExecutionPatch,
  type ExecutionQuery,
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionStore,
  type ExecutionSummary,
  type ParentLink,
  type PauseInfo,
  type FlowWaitInfo,
  type IdempotencyClaim,
  type LogLine,
  type LogStore,
  type Page,
  type PruneQuery,
  type SessionRecord,
  type SessionStore,
  type StepApproval,
  type StepArtifact,
  type ApprovalDecision,
  type StepRecord,
  type StepStatus,
  type TriggerState,
  type TriggerStore,
  type WorkflowQuery,
  type WorkflowRecord,
  type WorkflowStore,
} from './roles/index.ts';
export { DEFAULT_STORE_LIMITS, type Store, type StoreLimits } from './types.ts';
export { checkedStore } from './checked-store.ts';
export {
  isUnreachable,
  withOutbox,
  type OutboxOptions,
  type OutboxStatus,
  type OutboxStore,
  type WriteOwner,
} from './outbox/index.ts';
export { MAX_IDEMPOTENCY_TOKEN_LENGTH } from './checks.ts';
export { createMemoryStore, type MemoryStoreOptions } from './memory/index.ts';
export {
  createSqliteStore,
  resolveSqliteStoreOptions,
  DEFAULT_SQLITE_BUSY_TIMEOUT_MS,
  SQLITE_MIGRATIONS,
  SQLITE_SCHEMA_VERSION,
  WriteBatch,
  type ResolvedSqliteStoreOptions,
  type SqliteMigration,
  type SqliteStoreOptions,
} from './sqlite/index.ts';
export {
  createJetStreamStore,
  ensureEventStream,
  fromToken,
  resolveEventStreamOptions,
  resolveJetStreamStoreOptions,
  storeNames,
  toToken,
  DEFAULT_CACHE_ENTRIES,
  DEFAULT_EVENT_STREAM_MAX_AGE_MS,
  DEFAULT_EVENT_STREAM_MAX_BYTES,
  DEFAULT_EVENT_STREAM_MAX_MSGS,
  DEFAULT_JETSTREAM_REPLICAS,
  DEFAULT_MAX_UPDATE_ATTEMPTS,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_STORE_PREFIX,
  IDEMPOTENCY_BUCKET_MAX_AGE_MS,
  isKvConflict,
  type EventStreamOptions,
  type JetStreamStoreOptions,
  type ResolvedEventStreamOptions,
  type ResolvedJetStreamStoreOptions,
  type StoreNames,
} from './jetstream/index.ts';
export { resolveStoreLimits, truncateLine, truncationMarker } from './limits.ts';
export {
  encodeCursor,
  decodeCursor,
  resolvePageLimit,
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
} from './cursor.ts';
export { copyStep, copySummary, durableFields, jsonCopy, pendingStep } from './record-copy.ts';

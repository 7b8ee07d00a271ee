/**
 * The store module: the Store seam and its implementations.
 *
 * - `createSqliteStore`, `resolveSqliteStoreOptions`, `DEFAULT_SQLITE_BUSY_TIMEOUT_MS`: the embedded SQLite store.
 * - `createMemoryStore`: the in-memory store (tests, ephemeral runs).
 * - `createJetStreamStore`, `resolveJetStreamStoreOptions`, `DEFAULT_JETSTREAM_REPLICAS`, `DEFAULT_MAX_VALUE_BYTES`,
 *   `DEFAULT_CACHE_ENTRIES`, `DEFAULT_MAX_UPDATE_ATTEMPTS`: the cluster store on JetStream KV and streams.
 * - `storeNames`, `toToken`, `fromToken`, `DEFAULT_STORE_PREFIX`: JetStream bucket/stream names and key tokens.
 * - `ensureEventStream`, `resolveEventStreamOptions`, `DEFAULT_EVENT_STREAM_*`: the bounded stream of actors' outbound events.
 * - `IDEMPOTENCY_BUCKET_MAX_AGE_MS`: the hard bound on how long JetStream keeps an idempotency claim.
 * - `MAX_IDEMPOTENCY_TOKEN_LENGTH`: longest scope and key of an idempotency claim.
 * - `resolveStoreLimits`, `truncateLine`, `truncationMarker`: limits shared by every store.
 * - `encodeCursor`, `decodeCursor`, `resolvePageLimit`, `DEFAULT_PAGE_LIMIT`, `MAX_PAGE_LIMIT`: paging.
 * - `SQLITE_MIGRATIONS`, `SQLITE_SCHEMA_VERSION`: the SQLite schema.
 * - Types: `Store`, `StoreLimits`, records (incl. `TriggerState`, `IdempotencyClaim`, `SessionRecord`), queries and pages, from types.ts; `FINAL_EXECUTION_STATUSES`,
 *   `DEFAULT_STORE_LIMITS`.
 * @module
 */
export {
  DEFAULT_STORE_LIMITS,
  FINAL_EXECUTION_STATUSES,
  type ExecutionLogs,
  type ExecutionPatch,
  type ExecutionQuery,
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionSummary,
  type IdempotencyClaim,
  type LogLine,
  type SessionRecord,
  type Page,
  type StepRecord,
  type StepStatus,
  type Store,
  type StoreLimits,
  type TriggerState,
  type WorkflowQuery,
  type WorkflowRecord,
} from './types.ts';
export { createSqliteStore } from './sqlite-store.ts';
export {
  resolveSqliteStoreOptions,
  DEFAULT_SQLITE_BUSY_TIMEOUT_MS,
  type SqliteStoreOptions,
  type ResolvedSqliteStoreOptions,
} from './sqlite-options.ts';
export { createMemoryStore, type MemoryStoreOptions } from './memory-store.ts';
export { resolveStoreLimits, truncateLine, truncationMarker } from './limits.ts';
export {
  encodeCursor,
  decodeCursor,
  resolvePageLimit,
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
} from './cursor.ts';
export { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION, type SqliteMigration } from './sqlite-schema.ts';
export { createJetStreamStore } from './jetstream-store.ts';
export { IDEMPOTENCY_BUCKET_MAX_AGE_MS } from './jetstream-context.ts';
export { MAX_IDEMPOTENCY_TOKEN_LENGTH } from './trigger-records.ts';
export {
  resolveJetStreamStoreOptions,
  DEFAULT_CACHE_ENTRIES,
  DEFAULT_JETSTREAM_REPLICAS,
  DEFAULT_MAX_UPDATE_ATTEMPTS,
  DEFAULT_MAX_VALUE_BYTES,
  type JetStreamStoreOptions,
  type ResolvedJetStreamStoreOptions,
} from './jetstream-options.ts';
export {
  storeNames,
  toToken,
  fromToken,
  DEFAULT_STORE_PREFIX,
  type StoreNames,
} from './jetstream-names.ts';
export {
  ensureEventStream,
  resolveEventStreamOptions,
  DEFAULT_EVENT_STREAM_MAX_AGE_MS,
  DEFAULT_EVENT_STREAM_MAX_BYTES,
  DEFAULT_EVENT_STREAM_MAX_MSGS,
  type EventStreamOptions,
  type ResolvedEventStreamOptions,
} from './jetstream-events.ts';
export { copyStep, copySummary, jsonCopy, pendingStep } from './record-copy.ts';

/**
 * The cluster store on JetStream KV buckets and streams, its names, and the event stream.
 * Exports: createJetStreamStore, resolveJetStreamStoreOptions, JetStreamStoreOptions,
 * ResolvedJetStreamStoreOptions, DEFAULT_JETSTREAM_REPLICAS, DEFAULT_MAX_VALUE_BYTES,
 * DEFAULT_CACHE_ENTRIES, DEFAULT_MAX_UPDATE_ATTEMPTS, IDEMPOTENCY_BUCKET_MAX_AGE_MS; storeNames,
 * toToken, fromToken, DEFAULT_STORE_PREFIX, StoreNames; ensureEventStream,
 * resolveEventStreamOptions, EventStreamOptions, ResolvedEventStreamOptions,
 * DEFAULT_EVENT_STREAM_MAX_AGE_MS, DEFAULT_EVENT_STREAM_MAX_BYTES, DEFAULT_EVENT_STREAM_MAX_MSGS;
 * isKvConflict (a revision-checked KV write lost to another writer).
 * @module
 */
export { createJetStreamStore } from './jetstream-store.ts';
export { IDEMPOTENCY_BUCKET_MAX_AGE_MS } from './jetstream-context.ts';
export { isKvConflict } from './jetstream-errors.ts';
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

/**
 * The in-memory store (tests, ephemeral runs).
 * Exports: createMemoryStore, MemoryStoreOptions.
 * @module
 */
export { createMemoryStore, type MemoryStoreOptions } from './memory-store.ts';

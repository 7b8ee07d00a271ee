/**
 * The in-memory store (tests, ephemeral runs): the SQLite store's semantics in Maps, one role
 * object per concern (memory-workflows.ts, memory-executions.ts, memory-logs.ts,
 * memory-triggers.ts, memory-claims.ts, memory-sessions.ts) behind checkedStore.
 * @module
 */
import { checkedStore } from '../checked-store.ts';
import { resolveStoreLimits } from '../limits.ts';
import type { Store, StoreLimits } from '../types.ts';
import { createMemoryClaims } from './memory-claims.ts';
import { createMemoryExecutions, type ExecutionEntry } from './memory-executions.ts';
import { createMemoryLogs } from './memory-logs.ts';
import { createMemorySessions } from './memory-sessions.ts';
import { createMemoryTriggers } from './memory-triggers.ts';
import { createMemoryWorkflows } from './memory-workflows.ts';

/** Options of the memory store: the store limits. */
export type MemoryStoreOptions = Partial<StoreLimits>;

/** Creates an empty in-memory store. */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const limits = resolveStoreLimits(options);
  const executions = new Map<string, ExecutionEntry>();
  const inner: Store = {
    kind: 'memory',
    ...createMemoryWorkflows(),
    ...createMemoryExecutions(executions),
    ...createMemoryLogs(limits, (id) => executions.get(id)?.logs),
    ...createMemoryTriggers(),
    ...createMemorySessions(),
    ...createMemoryClaims(),
    async close() {},
  };
  return checkedStore(inner, limits);
}

/**
 * The Store contract, run against every implementation (memory, SQLite, JetStream): one suite
 * per role (store/*.case.ts), the checks every store gets from checkedStore, and persistence
 * across reopen. Each tests behaviour through the Store interface only. `create(limits)` must
 * honour the limits it is given (the log-bound cases use small ones); `reopen(old)` closes `old`
 * and opens the same data again, with the same limits.
 * @module
 */
import { describe } from 'vitest';
import { runStoreChecksConformance } from './store/checks.case.ts';
import { runClaimStoreConformance } from './store/claims.case.ts';
import { runExecutionStoreConformance } from './store/executions.case.ts';
import type { StoreConformanceOptions } from './store/fixtures.ts';
import { runLogStoreConformance } from './store/logs.case.ts';
import { runStorePersistenceConformance } from './store/persistence.case.ts';
import { runRetentionConformance } from './store/retention.case.ts';
import { runSessionStoreConformance } from './store/sessions.case.ts';
import { runTriggerStoreConformance } from './store/triggers.case.ts';
import { runWorkflowStoreConformance } from './store/workflows.case.ts';

export type { StoreConformanceOptions } from './store/fixtures.ts';

/** Registers every Store conformance suite for one implementation. */
export function runStoreConformance(opts: StoreConformanceOptions): void {
  describe(`Store conformance: ${opts.name}`, () => {
    runWorkflowStoreConformance(opts);
    runExecutionStoreConformance(opts);
    runLogStoreConformance(opts);
    runRetentionConformance(opts);
    runTriggerStoreConformance(opts);
    runSessionStoreConformance(opts);
    runClaimStoreConformance(opts);
    runStoreChecksConformance(opts);
    runStorePersistenceConformance(opts);
  });
}

/**
 * The Store's roles: one interface per concern, with the records it keeps. `Store` (../types.ts)
 * is all of them together.
 * Exports: WorkflowStore, ExecutionStore, LogStore, TriggerStore, SessionStore, ClaimStore; their
 * records and queries; Page; EXECUTION_PATCH_FIELDS, FINAL_EXECUTION_STATUSES, MAX_PRUNE_LIMIT.
 * @module
 */
export type { Page } from './page.ts';
export type { WorkflowQuery, WorkflowRecord, WorkflowStore } from './workflow-store.ts';
export {
  EXECUTION_PATCH_FIELDS,
  FINAL_EXECUTION_STATUSES,
  MAX_PRUNE_LIMIT,
  type ExecutionPatch,
  type ExecutionQuery,
  type ExecutionRecord,
  type ExecutionStatus,
  type ExecutionStore,
  type ExecutionSummary,
  type ApprovalDecision,
  type ParentLink,
  type PauseInfo,
  type FlowWaitInfo,
  type PruneQuery,
  type StepApproval,
  type StepArtifact,
  type StepRecord,
  type StepStatus,
} from './execution-store.ts';
export type { ExecutionLogs, LogLine, LogStore } from './log-store.ts';
export type { TriggerState, TriggerStore } from './trigger-store.ts';
export type { SessionRecord, SessionStore } from './session-store.ts';
export type { ClaimStore, IdempotencyClaim } from './claim-store.ts';

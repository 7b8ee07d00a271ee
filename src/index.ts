/**
 * Stator as a library: `createStator(options)` returns the service (register, execute, get,
 * list, cancel, logs, subscribe, close); the rest are the seams for embedding and extending.
 * @module
 */
export { createStator, machineInfos, resolveStatorOptions } from './runtime/index.ts';
export type {
  EventFilter,
  EventGap,
  EventListener,
  EventSubscription,
  ExecuteOptions,
  ExecuteResult,
  ExecutionView,
  Health,
  HealthCheck,
  MachineInfo,
  Stator,
  StatorOptions,
  SubscribeOptions,
  Topology,
  TopologyOptions,
} from './runtime/index.ts';
export type { StampedEvent, ActorEvent, ExecutionEvent, EngineEvent, Severity } from './events.ts';
export {
  StatorError,
  InvalidArgumentError,
  InvalidWorkflowError,
  NotFoundError,
  ConflictError,
  TimeoutError,
  CancelledError,
  NonRetryableError,
  SecretUnavailableError,
  InputBoundsError,
  toWire,
} from './errors.ts';
export type { ErrorCode, InputBound, WireError } from './errors.ts';
export { createMemoryBus, createNatsBus } from './bus/index.ts';
export type { Bus, BusMessage } from './bus/index.ts';
export { createMemoryStore, createSqliteStore } from './store/index.ts';
export type {
  Store,
  ExecutionRecord,
  ExecutionSummary,
  ExecutionStatus,
  StepRecord,
  StepStatus,
  WorkflowRecord,
  Page,
} from './store/index.ts';
export { createExecaRunner } from './exec/index.ts';
export { SecretRegistry } from './secrets/index.ts';
export { createLogger } from './logger.ts';
export type { ProcessRunner, ProcessSpec, ProcessResult } from './exec/index.ts';
export { parseWorkflow, workflowJsonSchema } from './workflow/index.ts';
export type { WorkflowDefinition, StepDefinition } from './workflow/index.ts';
export type { Clock } from './clock.ts';
export { createCronerScheduler, createSimulatedScheduler } from './triggers/index.ts';
export type { Scheduler } from './triggers/index.ts';
export type {
  SessionManager,
  SessionView,
  SessionDefinition,
  SessionStatus,
  SessionActivity,
  SessionQuery,
  SessionLogLine,
} from './sessions/index.ts';
export type { SessionEvent } from './events.ts';

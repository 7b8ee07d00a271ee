/**
 * The parts of the Stator service, each behind a context interface that lists only what it
 * uses; `StatorService` (../stator-service.ts) builds them from the composition root's
 * `ServiceDeps` and delegates to them.
 * Exports: WorkflowCatalog, ExecutionService, ExecutionWaiter, ExecutionCancel, ExecutionRetry,
 * OwnedExecutions
 * (which executions this process holds, and ExecutionInbox), Shutdown, their
 * contexts, and the engines' helpers (Engine, EngineView, engineView, engineCommand,
 * engineRequest, EngineEvent, ENGINE_OWNER_TIMEOUT_MS, untilStopped, EngineCommandContext); the wiring (createServiceParts, ServiceParts) and its
 * input (ServiceDeps).
 * @module
 */
export { WorkflowCatalog, type WorkflowCatalogContext } from './workflow-catalog.ts';
export { ExecutionService, type ExecutionServiceContext } from './execution-service.ts';
export { ExecutionWaiter, type ExecutionWaiterContext } from './execution-waiter.ts';
export { ExecutionCancel, type ExecutionCancelContext } from './execution-cancel.ts';
export { ExecutionRetry, type ExecutionRetryContext } from './execution-retry.ts';
export { OwnedExecutions, type ExecutionInbox } from './owned-executions.ts';
export { Shutdown } from './shutdown.ts';
export type { CloseOptions, RunningStep, ShutdownContext } from './shutdown.ts';
export {
  ENGINE_OWNER_TIMEOUT_MS,
  engineCommand,
  engineRequest,
  engineView,
  untilStopped,
} from './engines.ts';
export type { Engine, EngineCommandContext, EngineEvent, EngineView } from './engines.ts';
export { createServiceParts, type ServiceParts } from './service-parts.ts';
export type { ServiceDeps } from './service-deps.ts';

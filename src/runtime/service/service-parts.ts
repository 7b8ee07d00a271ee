/**
 * Wires the service's parts from `ServiceDeps`, handing each a context with only what it uses.
 * The topology is resolved here once: with an in-process work queue every run queued here runs
 * here and every registration goes through this process.
 * @module
 */
import { ExecutionCancel } from './execution-cancel.ts';
import { ExecutionService } from './execution-service.ts';
import { ExecutionWaiter } from './execution-waiter.ts';
import type { ServiceDeps } from './service-deps.ts';
import { Shutdown } from './shutdown.ts';
import { WorkflowCatalog } from './workflow-catalog.ts';

/** The parts the facade delegates to. */
export interface ServiceParts {
  shutdown: Shutdown;
  workflows: WorkflowCatalog;
  executions: ExecutionService;
  waiter: ExecutionWaiter;
  cancel: ExecutionCancel;
}

/** Builds the parts of one service. */
export function createServiceParts(deps: ServiceDeps): ServiceParts {
  const { opts, logger, clock, store, bus, queue, executions, created, pipeline } = deps;
  const { triggers, webhooks, sessions, engines, runner, monitor, notMine } = deps;
  const localQueue = queue.kind === 'memory';
  const shutdown = new Shutdown({
    stopIntake: deps.stopIntake,
    triggers,
    sessions,
    queue,
    engines,
    graceMs: opts.shutdownGraceMs,
    runner,
    pipeline,
    monitor,
    release: deps.close,
    logger,
  });
  const assertOpen = () => shutdown.assertOpen();
  const workflows = new WorkflowCatalog({
    store,
    triggers,
    webhooks,
    clock,
    logger,
    cacheDefinitions: localQueue,
    assertOpen,
  });
  const service = new ExecutionService({
    store,
    queue,
    queueLimit: opts.queueLimit,
    localQueue,
    created,
    pipeline,
    workflowFor: (id) => workflows.forExecution(id),
    clock,
    logger,
    assertOpen,
  });
  const getExecution = (id: string) => service.get(id);
  const waiter = new ExecutionWaiter({ executions, localQueue, created, getExecution, clock });
  const cancel = new ExecutionCancel({
    executions,
    created,
    queue,
    store,
    pipeline,
    bus,
    localQueue,
    node: opts.node,
    notMine,
    getExecution,
    clock,
  });
  return { shutdown, workflows, executions: service, waiter, cancel };
}

/**
 * Wires the service's parts from `ServiceDeps`, handing each a context with only what it uses.
 * What depends on the deployment is read from `deps.topology` (resolved once, ../topology.ts):
 * embedded, every run queued here runs here; definitions are cached unless the store is shared.
 * @module
 */
import { natsConnectionOf } from '../../bus/index.ts';
import { ExecutionCancel } from './execution-cancel.ts';
import { ExecutionService } from './execution-service.ts';
import { ExecutionPauses } from './execution-pause.ts';
import { ExecutionRetry } from './execution-retry.ts';
import { ExecutionWaiter } from './execution-waiter.ts';
import type { ExecutionRecorder } from '../execution-recorder.ts';
import type { LiveExecutions } from '../live-executions.ts';
import type { ServiceDeps } from './service-deps.ts';
import { Shutdown, type RunningStep } from './shutdown.ts';
import { WorkflowCatalog } from './workflow-catalog.ts';

/** How long a cancel waits for the run's holder beyond the kill grace. */
const OWNER_SLACK_MS = 10_000;

/** The parts the facade delegates to. */
export interface ServiceParts {
  shutdown: Shutdown;
  workflows: WorkflowCatalog;
  executions: ExecutionService;
  waiter: ExecutionWaiter;
  cancel: ExecutionCancel;
  retry: ExecutionRetry;
  pauses: ExecutionPauses;
}

/** Builds the parts of one service. */
export function createServiceParts(deps: ServiceDeps): ServiceParts {
  const { opts, logger, clock, store, bus, queue, executions, created, pipeline } = deps;
  const { triggers, webhooks, sessions, engines, runner, monitor, recorder, topology } = deps;
  // Embedded: a run queued here runs here, so its record is handed over from memory.
  const localQueue = !topology.sharedQueue;
  const shutdown = new Shutdown({
    stopIntake: deps.stopIntake,
    triggers,
    sessions,
    queue,
    engines,
    graceMs: opts.shutdownGraceMs,
    runner,
    // A cluster node hands its leases over at shutdown, so its processes must not outlive it
    // in the host (another node runs those steps next): it drains and stops them like a node
    // without a host.
    ...(deps.host !== undefined && topology.mode !== 'cluster' && { host: deps.host }),
    runningSteps: () => runningProcessSteps(executions, recorder),
    pipeline,
    monitor,
    clock,
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
    cacheDefinitions: topology.cacheDefinitions,
    natsSteps: natsConnectionOf(bus) !== undefined,
    assertOpen,
  });
  const service = new ExecutionService({
    store,
    queue,
    queueLimit: opts.queueLimit,
    idempotencyRetentionMs: opts.idempotencyRetentionMs,
    policy: opts.policy,
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
    owned: deps.ownedExecutions,
    created,
    queue,
    store,
    pipeline,
    bus,
    getExecution,
    clock,
    // The holder answers once the run has ended: its steps may take the kill grace to stop.
    ownerTimeoutMs: opts.killGraceMs + OWNER_SLACK_MS,
  });
  const retry = new ExecutionRetry({
    store,
    get: getExecution,
    workflowFor: (id) => workflows.forExecution(id),
    startRecord: (record) => service.startRecord(record),
    idempotencyRetentionMs: opts.idempotencyRetentionMs,
    clock,
    assertOpen,
  });
  const pauses = new ExecutionPauses({
    executions,
    owned: deps.ownedExecutions,
    created,
    store,
    bus,
    getExecution,
    clock,
    ownerTimeoutMs: OWNER_SLACK_MS,
  });
  return { shutdown, workflows, executions: service, waiter, cancel, retry, pauses };
}

/** The `exec` and `run` steps of live runs whose record says `running` (a process runs them). */
function runningProcessSteps(
  executions: LiveExecutions,
  recorder: Pick<ExecutionRecorder, 'step'>,
): RunningStep[] {
  const running: RunningStep[] = [];
  for (const live of executions.values()) {
    const { id: executionId, workflowId } = live.record;
    for (const step of live.definition.steps) {
      if (step.kind !== 'exec' && step.kind !== 'run') continue;
      const record = recorder.step(executionId, step.id);
      if (record?.status !== 'running') continue;
      running.push({
        executionId,
        workflowId,
        stepId: step.id,
        attempt: Math.max(1, record.attempts),
        lostAttempts: record.lostAttempts ?? 0,
      });
    }
  }
  return running;
}

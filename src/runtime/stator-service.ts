/**
 * The Stator service object: the facade behind the library API, the HTTP routes and the NATS
 * command API. It builds the service's parts from the composition root's `ServiceDeps` (the
 * workflow catalog, the execution commands, shutdown; see ./service/) and delegates to them;
 * triggers, sessions and metrics are passed through. Built by create-stator.ts.
 * @module
 */
import type { LiveActors } from './actors/index.ts';
import type { ExecutionQuery, WorkflowQuery } from '../store/index.ts';
import { machineInfos } from './machine-catalog.ts';
import type { FireOptions, FireResult, TriggerQuery, TriggerView } from '../triggers/index.ts';
import type { WebhookRequest, WebhookResult } from '../triggers/index.ts';
import { computeStatistics } from '../statistics/index.ts';
import type { PauseRequest } from './service/execution-pause.ts';
import type { Statistics, StatisticsQuery } from '../statistics/index.ts';
import type { RateLimiter } from '../commands/index.ts';
import type { SessionManager } from '../sessions/index.ts';
import type {
  EngineCommandName,
  EngineStatus,
  EventListener,
  ExecuteOptions,
  Health,
  RetryOptions,
  Stator,
  SubscribeOptions,
} from './types.ts';
import {
  createServiceParts,
  engineCommand,
  engineRequest,
  engineView,
  type CloseOptions,
  type ServiceDeps,
  type ServiceParts,
} from './service/index.ts';

export type { Engine, ServiceDeps } from './service/index.ts';

/** The service. */
export class StatorService implements Stator {
  readonly #startedAt: number;
  readonly #parts: ServiceParts;

  constructor(readonly deps: ServiceDeps) {
    this.#startedAt = deps.clock.now();
    this.#parts = createServiceParts(deps);
  }

  registerWorkflow(definition: unknown) {
    return this.#parts.workflows.register(definition);
  }

  getWorkflow(id: string) {
    return this.#parts.workflows.get(id);
  }

  listWorkflows(query?: WorkflowQuery) {
    return this.#parts.workflows.list(query);
  }

  deleteWorkflow(id: string) {
    return this.#parts.workflows.delete(id);
  }

  /** Subscribes the triggers of every stored workflow (at start). */
  activateTriggers(): Promise<void> {
    return this.#parts.workflows.activateTriggers();
  }

  execute(workflowId: string, input?: Record<string, unknown>, opts?: ExecuteOptions) {
    return this.#parts.executions.execute(workflowId, input, opts);
  }

  /** Queues every run the store holds as unfinished (embedded mode, at start). */
  requeueUnfinished(): Promise<number> {
    return this.#parts.executions.requeueUnfinished();
  }

  getExecution(id: string) {
    return this.#parts.executions.get(id);
  }

  listExecutions(query?: ExecutionQuery) {
    return this.#parts.executions.list(query);
  }

  /** Approval steps: decide, list (approvals/). */
  get approvals() {
    return this.deps.approvals;
  }

  /** Step artifacts, for downloads (src/artifacts/). */
  get artifacts() {
    return this.deps.artifacts;
  }

  cancel(id: string, reason?: string, details?: unknown) {
    return this.#parts.cancel.cancel(id, reason, details);
  }

  retry(id: string, opts?: RetryOptions) {
    return this.#parts.retry.retry(id, opts);
  }

  /** Pauses (`pause: true`) or resumes a run; ConflictError when it already finished. */
  setPaused(id: string, request: PauseRequest) {
    return this.#parts.pauses.set(id, request);
  }

  /** A pause or resume arriving on `stator.execution.<id>.in`, subscribed here. */
  setPausedOwned(id: string, request: PauseRequest) {
    return this.#parts.pauses.setOwned(id, request);
  }

  /** A cancel arriving on `stator.execution.<id>.in`, subscribed here (ExecutionCancel.cancelOwned). */
  cancelOwned(id: string, reason?: string) {
    return this.#parts.cancel.cancelOwned(id, reason);
  }

  logs(id: string, opts?: { stepId?: string }) {
    return this.#parts.executions.logs(id, opts);
  }

  waitForExecution(id: string, opts?: { timeoutMs?: number }) {
    return this.#parts.waiter.waitFor(id, opts);
  }

  subscribe(listener: EventListener, opts?: SubscribeOptions) {
    return this.deps.monitor.subscribe(listener, opts);
  }

  async health(): Promise<Health> {
    const { engines, executions, clock, opts, queue, topology } = this.deps;
    const problems = opts.healthChecks.flatMap((check) => {
      const reason = check.problem();
      return reason === undefined ? [] : [{ check: check.name, reason }];
    });
    return {
      status: this.#parts.shutdown.closing ? 'closing' : problems.length > 0 ? 'degraded' : 'ok',
      ...(problems.length > 0 && { problems }),
      uptimeSeconds: Math.round((clock.now() - this.#startedAt) / 1000),
      node: opts.node,
      mode: topology.mode,
      engines: engines.map((e) => engineView(e, queue.size())),
      activeExecutions: executions.size,
      ...(this.deps.retention && { retention: this.deps.retention.status() }),
    };
  }

  machines() {
    return machineInfos();
  }

  webhook(request: WebhookRequest): Promise<WebhookResult> {
    this.#parts.shutdown.assertOpen();
    return this.deps.webhooks.handle(request);
  }

  metrics(): Promise<string> {
    return this.deps.metrics.text();
  }

  statistics(query: StatisticsQuery = {}): Promise<Statistics> {
    return computeStatistics(this.deps.store, query, { now: this.deps.clock.now() });
  }

  recordCommand(command: string, seconds: number, errorCode?: string): void {
    this.deps.metrics.commandHandled(command, seconds, errorCode);
  }

  get rateLimiter(): RateLimiter | undefined {
    return this.deps.rateLimiter;
  }

  get actors(): LiveActors {
    return this.deps.actors;
  }

  get sessions(): SessionManager {
    return this.deps.sessions;
  }

  async listTriggers(query?: TriggerQuery): Promise<TriggerView[]> {
    return this.deps.triggers.list(query);
  }

  async getTrigger(id: string): Promise<TriggerView> {
    return this.deps.triggers.get(id).view();
  }

  pauseTrigger(id: string): Promise<TriggerView> {
    return this.deps.triggers.pause(id);
  }

  resumeTrigger(id: string): Promise<TriggerView> {
    return this.deps.triggers.resume(id);
  }

  fireTrigger(id: string, opts?: FireOptions): Promise<FireResult> {
    this.#parts.shutdown.assertOpen();
    return this.deps.triggers.fire(id, opts);
  }

  /** Handles an inbound trigger event (`stator.trigger.<id>.in`); see cluster-claims.ts. */
  async triggerInbound(
    id: string,
    event: { type: string } & Record<string, unknown>,
    replyTo?: string,
  ) {
    if (event.type === 'pause') return this.pauseTrigger(id);
    if (event.type === 'resume') return this.resumeTrigger(id);
    const won = await this.deps.triggers.claimInbound(id, replyTo);
    if (!won) return this.deps.notMine;
    const input = event.input as Record<string, unknown> | undefined;
    return this.deps.triggers.fire(id, input === undefined ? {} : { input }, won.executionId);
  }

  /** A command for an engine of any process of the cluster (engines.ts `engineRequest`). */
  engine(id: string, command: EngineCommandName): Promise<EngineStatus> {
    const { engines, queue, bus } = this.deps;
    return engineRequest(
      { engines, bus, execute: (wf, input) => this.execute(wf, input), poke: () => queue.poke() },
      id,
      { type: command },
    );
  }

  /** Handles an inbound engine command (`stator.engine.<id>.in`, subscribed by this process). */
  engineCommand(id: string, event: { type: string } & Record<string, unknown>) {
    const { engines, queue } = this.deps;
    return engineCommand(
      { engines, execute: (wf, input) => this.execute(wf, input), poke: () => queue.poke() },
      id,
      event,
    );
  }

  close(options?: CloseOptions): Promise<void> {
    return this.#parts.shutdown.close(options);
  }
}

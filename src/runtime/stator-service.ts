/**
 * The Stator service object: the command handlers behind the library API, the HTTP routes and
 * the NATS command API. Built by create-stator.ts, which owns the wiring.
 * @module
 */
import type { Actor } from 'xstate';
import type { Logger } from 'pino';
import type { engineMachine } from '../../machines/engine.machine.ts';
import type { Bus } from '../bus/types.ts';
import { actorIn, isValidToken } from '../bus/subjects.ts';
import type { Clock } from '../clock.ts';
import type { ProcessRunner } from '../exec/types.ts';
import type { MonitorHub } from '../monitor/index.ts';
import {
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  StatorError,
  TimeoutError,
  type WireError,
  UnavailableError,
  toWire,
} from '../errors.ts';
import { newId } from '../ids.ts';
import {
  FINAL_EXECUTION_STATUSES,
  pendingStep,
  type ExecutionQuery,
  type ExecutionRecord,
  type Store,
  type WorkflowQuery,
  type WorkflowRecord,
} from '../store/index.ts';
import { freezeDefinition, parseWorkflow, resolveInputs } from '../workflow/index.ts';
import type { ResolvedStatorOptions } from './options.ts';
import type { ExecutionRecorder } from './execution-recorder.ts';
import type { EventPipeline } from './event-pipeline.ts';
import type { LiveExecutions } from './live-executions.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { WorkQueue } from './work-queue.ts';
import { machineInfos } from './machine-catalog.ts';
import type { TriggerRegistry } from '../triggers/index.ts';
import type { FireOptions, FireResult, TriggerQuery, TriggerView } from '../triggers/index.ts';
import type { WebhookRequest, WebhookResult, Webhooks } from '../triggers/index.ts';
import { computeStatistics } from '../monitor/index.ts';
import type { Statistics, StatisticsQuery, StatorMetrics } from '../monitor/index.ts';
import { formatLogs } from './format-logs.ts';
import type { RateLimiter } from '../commands/index.ts';
import type { SessionManager } from '../sessions/index.ts';
import type { EventListener, ExecuteOptions, Health, Stator, SubscribeOptions } from './types.ts';

/** An engine of this process. */
export interface Engine {
  id: string;
  actor: Actor<typeof engineMachine>;
  slots: number;
}

/** Everything the service uses, built by the composition root. */
export interface ServiceDeps {
  opts: ResolvedStatorOptions;
  logger: Logger;
  clock: Clock;
  store: Store;
  bus: Bus;
  runner: ProcessRunner;
  executions: LiveExecutions;
  recorder: ExecutionRecorder;
  pipeline: EventPipeline;
  monitor: MonitorHub;
  queue: WorkQueue;
  dispatcher: Dispatcher;
  /** One actor per declared trigger (cron, http, nats). */
  triggers: TriggerRegistry;
  /** `POST /hooks/<path>` triggers. */
  webhooks: Webhooks;
  /** This instance's Prometheus metrics. */
  metrics: StatorMetrics;
  /** Token buckets of state-changing commands (checked by the command layer's dispatch). */
  rateLimiter?: RateLimiter;
  /** The sessions of this process. */
  sessions: SessionManager;
  /** What an inbound route returns to stay silent (see actor-router.ts). */
  notMine: symbol;
  /** Records created here and not yet adopted (see adopt-run.ts). */
  created: Map<string, ExecutionRecord>;
  engines: Engine[];
  /** Stops taking requests from the bus (first step of a shutdown). */
  stopIntake: () => void;
  /** Releases what the root created (routes, owned bus and store). */
  close: () => Promise<void>;
}

const POLL_MS = 200;
const LOCAL_POLL_MS = 1000;
/** Parsed definitions kept for new runs (embedded mode). */
const WORKFLOW_CACHE_LIMIT = 1000;
/** How long a cancel waits for the process that runs the execution. */
const OWNER_TIMEOUT_MS = 5000;

/** The service. */
export class StatorService implements Stator {
  readonly #startedAt: number;
  readonly #workflows = new Map<string, WorkflowRecord>();
  #closing: Promise<void> | undefined;

  constructor(readonly deps: ServiceDeps) {
    this.#startedAt = deps.clock.now();
  }

  async registerWorkflow(definition: unknown): Promise<WorkflowRecord> {
    this.#assertOpen();
    const parsed = parseWorkflow(definition);
    const existing = await this.deps.store.getWorkflow(parsed.id);
    const now = new Date(this.deps.clock.now()).toISOString();
    const record: WorkflowRecord = {
      id: parsed.id,
      definition: parsed,
      version: (existing?.version ?? 0) + 1,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    if (typeof definition === 'string') record.source = definition;
    this.deps.webhooks.check(parsed);
    await this.deps.store.putWorkflow(record);
    this.#workflows.delete(record.id);
    await this.deps.triggers.sync(record);
    this.deps.webhooks.sync(record);
    this.deps.logger.info(
      { workflowId: record.id, version: record.version },
      'workflow registered',
    );
    return record;
  }

  /**
   * The definition a new run uses. In embedded mode every registration goes through this
   * process, so parsed definitions are cached; in a cluster another process may replace one.
   */
  async #workflowForRun(id: string): Promise<WorkflowRecord> {
    if (this.deps.queue.kind !== 'memory') return this.getWorkflow(id);
    const cached = this.#workflows.get(id);
    if (cached) return cached;
    const record = await this.getWorkflow(id);
    // Every run of it shares this definition (records, live runs, actors): frozen, not copied.
    freezeDefinition(record.definition);
    if (this.#workflows.size >= WORKFLOW_CACHE_LIMIT) this.#workflows.clear();
    this.#workflows.set(id, record);
    return record;
  }

  async getWorkflow(id: string): Promise<WorkflowRecord> {
    const record = await this.deps.store.getWorkflow(id);
    if (!record) throw new NotFoundError('workflow', id);
    return record;
  }

  listWorkflows(query?: WorkflowQuery) {
    return this.deps.store.listWorkflows(query);
  }

  async deleteWorkflow(id: string): Promise<void> {
    this.#workflows.delete(id);
    if (!(await this.deps.store.deleteWorkflow(id))) throw new NotFoundError('workflow', id);
    await this.deps.triggers.remove(id);
    this.deps.webhooks.remove(id);
  }

  async execute(
    workflowId: string,
    input: Record<string, unknown> = {},
    opts: ExecuteOptions = {},
  ): Promise<{ executionId: string }> {
    this.#assertOpen();
    const { store, queue, opts: o } = this.deps;
    const workflow = await this.#workflowForRun(workflowId);
    const inputs = resolveInputs(workflow.definition, input);
    const executionId = opts.executionId ?? newId('ex');
    if (!isValidToken(executionId)) {
      throw InvalidArgumentError.format([{ path: 'executionId', message: 'not a valid id' }]);
    }
    if (queue.size() >= o.queueLimit) {
      throw new UnavailableError(`work queue is full (${o.queueLimit} executions waiting)`);
    }
    const record: ExecutionRecord = {
      id: executionId,
      workflowId,
      status: 'pending',
      input: inputs,
      createdAt: new Date(this.deps.clock.now()).toISOString(),
      startedAt: null,
      finishedAt: null,
      error: null,
      engineId: null,
      node: null,
      definition: workflow.definition,
      steps: workflow.definition.steps.map((s) => pendingStep(s.id)),
    };
    await store.createExecution(record);
    // Only an in-process queue is sure to hand the run to this process; in a cluster another
    // process may take it, and a cached copy here would go stale.
    if (queue.kind === 'memory') this.deps.created.set(executionId, record);
    try {
      await queue.push({ executionId });
    } catch (err) {
      // Not queued: the record must not stay pending forever.
      this.deps.created.delete(executionId);
      await store.updateExecution(executionId, {
        status: 'failed',
        finishedAt: new Date(this.deps.clock.now()).toISOString(),
        error: toWire(err),
      });
      throw err;
    }
    this.deps.pipeline.emit('execution', executionId, {
      type: 'execution.queued',
      executionId,
      workflowId,
    });
    return { executionId };
  }

  /** Subscribes the triggers of every stored workflow (at start). */
  async activateTriggers(): Promise<void> {
    await this.deps.triggers.start();
    let cursor: string | undefined;
    do {
      const page = await this.deps.store.listWorkflows({ limit: 500, cursor });
      for (const wf of page.items) this.deps.webhooks.sync(wf);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /** Queues every run the store holds as unfinished (embedded mode, at start). */
  async requeueUnfinished(): Promise<number> {
    const unfinished = await this.deps.store.listUnfinishedExecutions();
    let queued = 0;
    for (const record of unfinished) {
      try {
        await this.deps.queue.push({ executionId: record.id });
        queued++;
      } catch (err) {
        this.deps.logger.error({ err, executionId: record.id }, 'could not requeue a run');
      }
    }
    if (queued) this.deps.logger.info({ queued }, 'requeued unfinished executions');
    return queued;
  }

  async getExecution(id: string): Promise<ExecutionRecord> {
    const record = await this.deps.store.getExecution(id);
    if (!record) throw new NotFoundError('execution', id);
    return record;
  }

  listExecutions(query?: ExecutionQuery) {
    return this.deps.store.listExecutions(query);
  }

  async cancel(id: string, reason?: string): Promise<ExecutionRecord> {
    const { executions, queue, pipeline, store, created } = this.deps;
    const live = executions.get(id);
    if (live) {
      const ended = executions.waitFor(id);
      if (live.actor) live.actor.send({ type: 'cancel', reason: reason ?? 'cancelled on request' });
      else live.cancelled = true;
      return (await ended) ?? this.getExecution(id);
    }
    const record = created.get(id) ?? (await this.getExecution(id));
    if (FINAL_EXECUTION_STATUSES.includes(record.status)) {
      throw new ConflictError(`execution '${id}' already ${record.status}`, {
        status: record.status,
      });
    }
    if (this.#runsElsewhere(record)) {
      // Its owner cancels it and answers; if nobody answers, the owner is gone: settle it here.
      try {
        const reply = await this.deps.bus.request(
          actorIn('execution', id),
          { type: 'cancel', ...(reason !== undefined && { reason }) },
          { timeoutMs: OWNER_TIMEOUT_MS },
        );
        const body = reply.json<{ ok: boolean; data?: ExecutionRecord; error?: WireError }>();
        if (body.ok && body.data) return body.data;
        if (body.error) throw new StatorError(body.error.code, body.error.message, body.error);
      } catch (err) {
        if (!(err instanceof StatorError) || !['timeout', 'no_responders'].includes(err.code)) {
          throw err;
        }
      }
    }
    // Queued (here or in the cluster's queue) and not running anywhere: settle it in the store;
    // whoever takes it from the queue later finds it finished and skips it.
    queue.remove(id);
    created.delete(id);
    record.status = 'cancelled';
    const error = {
      code: 'cancelled' as const,
      message: reason ?? 'cancelled before start',
      recoverable: false,
    };
    await store.updateExecution(id, {
      status: 'cancelled',
      finishedAt: new Date(this.deps.clock.now()).toISOString(),
      error,
    });
    // Its steps never ran: record them skipped, as a run cancelled while running does.
    const finishedAt = new Date(this.deps.clock.now()).toISOString();
    for (const step of record.steps) {
      if (step.status !== 'pending') continue;
      await store.putStep(id, { ...step, status: 'skipped', finishedAt, error: 'run cancelled' });
      pipeline.emit('execution', id, {
        type: 'step.skipped',
        executionId: id,
        workflowId: record.workflowId,
        stepId: step.id,
        reason: 'run cancelled',
      });
    }
    pipeline.emit('execution', id, {
      type: 'execution.cancelled',
      executionId: id,
      workflowId: record.workflowId,
      status: 'cancelled',
      error,
    });
    this.deps.executions.finish(id);
    return this.getExecution(id);
  }

  /**
   * A cancel arriving on `stator.execution.<id>.in`: every process receives it, so a process
   * that does not hold a run running on another process stays silent and lets the owner answer.
   */
  async cancelInbound(id: string, reason?: string): Promise<ExecutionRecord | symbol> {
    if (!this.deps.executions.get(id)) {
      const record = this.deps.created.get(id) ?? (await this.deps.store.getExecution(id));
      if (
        record &&
        !FINAL_EXECUTION_STATUSES.includes(record.status) &&
        this.#runsElsewhere(record)
      ) {
        return this.deps.notMine;
      }
    }
    return this.cancel(id, reason);
  }

  /** True when the run is in progress on another process of the cluster. */
  #runsElsewhere(record: ExecutionRecord): boolean {
    return (
      this.deps.queue.kind !== 'memory' &&
      record.status !== 'pending' &&
      record.node !== null &&
      record.node !== this.deps.opts.node
    );
  }

  async logs(id: string, opts?: { stepId?: string }): Promise<string> {
    await this.getExecution(id);
    await this.deps.pipeline.drain();
    return formatLogs(await this.deps.store.getLogs(id, opts));
  }

  async waitForExecution(id: string, opts: { timeoutMs?: number } = {}): Promise<ExecutionRecord> {
    const deadline = this.deps.clock.now() + (opts.timeoutMs ?? 24 * 3600_000);
    // A run this process holds (live, or created here for the in-process queue) is not
    // finished: wait for its end before the first read instead of reading it twice.
    let unfinished =
      this.deps.executions.get(id) !== undefined ||
      (this.deps.queue.kind === 'memory' && this.deps.created.has(id));
    for (;;) {
      if (!unfinished) {
        const record = await this.getExecution(id);
        if (FINAL_EXECUTION_STATUSES.includes(record.status) && !this.deps.executions.get(id))
          return record;
      }
      unfinished = false;
      const left = deadline - this.deps.clock.now();
      if (left <= 0) throw new TimeoutError(`execution '${id}' did not finish in time`, { id });
      // With an in-process queue the run ends here, queued or live: wait for its end (a slow
      // poll only guards against a run that never became live). In a cluster it may end on
      // another process: poll the store.
      const local = this.deps.queue.kind === 'memory' || this.deps.executions.get(id) !== undefined;
      const ended = await new Promise<ExecutionRecord | undefined>((resolve) => {
        const timer = setTimeout(
          () => resolve(undefined),
          Math.min(left, local ? LOCAL_POLL_MS : POLL_MS),
        );
        if (local)
          void this.deps.executions.waitFor(id).then((record) => {
            clearTimeout(timer);
            resolve(record);
          });
      });
      // The run ended here: its final record comes from memory, already stored.
      if (ended && !this.deps.executions.get(id)) return ended;
    }
  }

  subscribe(listener: EventListener, opts?: SubscribeOptions) {
    return this.deps.monitor.subscribe(listener, opts);
  }

  async health(): Promise<Health> {
    const { engines, executions, clock, opts } = this.deps;
    return {
      status: this.#closing ? 'closing' : 'ok',
      uptimeSeconds: Math.round((clock.now() - this.#startedAt) / 1000),
      node: opts.node,
      mode: this.deps.bus.kind === 'memory' ? 'embedded' : 'cluster',
      engines: engines.map((e) => engineView(e, this.deps.queue.size())),
      activeExecutions: executions.size,
    };
  }

  machines() {
    return machineInfos();
  }

  webhook(request: WebhookRequest): Promise<WebhookResult> {
    this.#assertOpen();
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
    this.#assertOpen();
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

  /** Handles an inbound engine command (`stator.engine.<id>.in`). */
  async engineCommand(id: string, event: { type: string } & Record<string, unknown>) {
    const engine = this.deps.engines.find((e) => e.id === id);
    if (!engine) throw new NotFoundError('engine', id);
    if (event.type === 'execute') {
      return this.execute(event.workflowId as string, event.input as Record<string, unknown>);
    }
    engine.actor.send(event as never);
    this.deps.queue.poke();
    return engineView(engine);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const { engines, pipeline, runner, monitor, logger } = this.deps;
    // Runs still going stay unfinished in the store and resume on the next start.
    this.deps.stopIntake();
    this.deps.triggers.close();
    // Session processes end now; their stored state stays, so the next start restores them.
    const sessionsClosed = this.deps.sessions.close();
    await this.deps.queue.close();
    // Drain: runs in slots may finish within the grace period; what remains is abandoned
    // (stays unfinished in the store, its queue lease goes back for another process).
    const drained = Promise.all(engines.map((e) => untilStopped(e)));
    for (const e of engines) e.actor.send({ type: 'drain' });
    await Promise.race([drained, delay(this.deps.opts.shutdownGraceMs)]);
    for (const e of engines)
      if (e.actor.getSnapshot().status === 'active') e.actor.send({ type: 'stop' });
    await runner.killAll();
    await sessionsClosed;
    await pipeline.drain();
    pipeline.stopTimers();
    monitor.stop();
    await this.deps.close();
    logger.info('stator closed');
  }

  #assertOpen(): void {
    if (this.#closing) throw new UnavailableError('stator is closing');
  }
}

function untilStopped(e: Engine): Promise<void> {
  return new Promise((resolve) => {
    if (e.actor.getSnapshot().status !== 'active') return resolve();
    e.actor.subscribe({ complete: () => resolve(), error: () => resolve() });
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function engineView(e: Engine, queued = 0) {
  const snap = e.actor.getSnapshot();
  return {
    id: e.id,
    status: String(snap.value),
    slots: e.slots,
    busy: snap.context.busy.length,
    queued,
  };
}

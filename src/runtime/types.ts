/**
 * The service as a library: what `createStator(options)` returns. The CLI, the HTTP routes and
 * the NATS command API are thin users of this interface.
 * @module
 */
import type { ArtifactStore } from '../artifacts/index.ts';
import type { Approvals } from './approvals/index.ts';
import type { LiveActors } from './actors/index.ts';
import type { StampedEvent, EventType, Severity } from '../events.ts';
import type { ActorKind } from '../bus/subjects.ts';
import type {
  ExecutionQuery,
  ExecutionRecord,
  ExecutionSummary,
  Page,
  ParentLink,
  WorkflowQuery,
  WorkflowRecord,
} from '../store/index.ts';
import type { WebhookRequest, WebhookResult } from '../triggers/webhooks.ts';
import type { FireOptions, FireResult, TriggerQuery, TriggerView } from '../triggers/types.ts';
import type { Statistics, StatisticsQuery } from '../statistics/index.ts';
import type { RateLimiter } from '../commands/rate-limiter.ts';
import type { SessionManager } from '../sessions/types.ts';
import type { RetentionStatus } from './retention.ts';

/** Filter of a subscription to outbound events; every given field must match. */
export interface EventFilter {
  executionId?: string;
  workflowId?: string;
  kind?: ActorKind;
  /** Actor id (with `kind`). */
  id?: string;
  /** Exact type, or a prefix ending in `.` such as `step.`. */
  type?: EventType | `${string}.`;
  /** Minimum severity. */
  severity?: Severity;
}

/**
 * A subscriber's callback. Must not throw; must not block. It may return a promise: the monitor
 * then waits for it before handing over the next event, and events arriving meanwhile wait in
 * the subscriber's bounded buffer (lost, and counted, once it is full).
 */
export type EventListener = (event: StampedEvent) => unknown;

/** What a resumed subscription (`since`) cannot replay: told before the replayed events. */
export interface EventGap {
  /** The `since` asked for. */
  since: number;
  /** Oldest sequence number still available; the replay starts there. */
  firstSeq: number;
  /** At most this many events (before filtering) are lost. */
  missed: number;
  /** `evicted`: older than what is kept; `reset`: newer than anything published (a restart). */
  reason: 'evicted' | 'reset';
}

/** Options of a subscription. */
export interface SubscribeOptions {
  filter?: EventFilter;
  /** Events buffered for this subscriber before it starts losing them. @default 1000 */
  bufferSize?: number;
  /** A name shown in monitor stats. */
  name?: string;
  /** Replay the kept events with `seq > since` before live ones (resume after a disconnect). */
  since?: number;
  /** Told before the replay when events after `since` are no longer kept. */
  onGap?: (gap: EventGap) => void | Promise<void>;
}

/** A live subscription. */
export interface EventSubscription {
  readonly id: string;
  /** Events this subscriber lost because its buffer was full. */
  dropped(): number;
  unsubscribe(): void;
}

/** Options of one execute call. */
export interface ExecuteOptions {
  /** Use this execution id (must be unused); generated otherwise. */
  executionId?: string;
  /**
   * Starts at most one run per key and workflow within the retention (`idempotencyRetentionMs`):
   * a repeat answers the first run's id with `replayed: true`. 1-255 printable ASCII characters.
   */
  idempotencyKey?: string;
  /** The run is the child of this step of another run (`workflow` steps); kept in its record. */
  parent?: ParentLink;
  /**
   * Its priority in the work queue: 1 (highest) to 5 (lowest), default 3. Engines take higher
   * priorities first, FIFO within one; kept in the record.
   */
  priority?: number;
}

/** What `execute` answers. */
export interface ExecuteResult {
  executionId: string;
  /** Set (true) when an `idempotencyKey` was seen before: the first run's id, nothing started. */
  replayed?: true;
}

/** Options of one retry (`Stator.retry`). */
export interface RetryOptions {
  /** Run again from this step and everything downstream of it, whatever it ended as. */
  from?: string;
  /** `stored` (default): the definition the old run ran; `latest`: the workflow's current one. */
  definition?: 'stored' | 'latest';
  /** At most one retry run per key and old run within the retention (`idempotencyRetentionMs`). */
  idempotencyKey?: string;
}

/** What `retry` answers. */
export interface RetryResult extends ExecuteResult {
  /** The run retried. */
  retryOf: string;
}

/** The execution record as the API shows it. */
export type ExecutionView = ExecutionRecord;

/** A machine description for visual inspection. */
export interface MachineInfo {
  name: string;
  description: string;
  /** xstate's JSON definition (`machine.definition` serialisable form). */
  definition: unknown;
  /** Mermaid `stateDiagram-v2` text. */
  mermaid: string;
}

/** A dependency `/health` asks: why it is degraded now, or undefined when it is fine. */
export interface HealthCheck {
  /** What it checks: `nats`, `store`. */
  name: string;
  problem(): string | undefined;
}

/** Health report. */
export interface Health {
  /** `degraded` while a health check reports a problem (listed in `problems`). */
  status: 'ok' | 'degraded' | 'closing';
  /** What is degraded and why. */
  problems?: Array<{ check: string; reason: string }>;
  uptimeSeconds: number;
  node: string;
  /** The service's topology (topology.ts): `cluster` when its work queue is shared. */
  mode: 'embedded' | 'cluster';
  engines: Array<{ id: string; status: string; slots: number; busy: number; queued: number }>;
  activeExecutions: number;
  /** What history is kept of finished executions, and what the pruner last did. */
  retention?: RetentionStatus;
}

/** An engine as health and engine commands show it. */
export type EngineStatus = Health['engines'][number];

/** What an engine command may ask of an engine. */
export type EngineCommandName = 'pause' | 'resume' | 'drain' | 'health.check';

/** The Stator service. */
export interface Stator {
  /** Registers (creates or replaces) a workflow from an object or YAML/JSON text. */
  registerWorkflow(definition: unknown): Promise<WorkflowRecord>;
  getWorkflow(id: string): Promise<WorkflowRecord>;
  listWorkflows(query?: WorkflowQuery): Promise<Page<WorkflowRecord>>;
  /** Deletes a definition; its past runs stay in the history. */
  deleteWorkflow(id: string): Promise<void>;

  /** Validates the input and queues a run; resolves once the run is recorded. */
  execute(
    workflowId: string,
    input?: Record<string, unknown>,
    opts?: ExecuteOptions,
  ): Promise<ExecuteResult>;
  getExecution(id: string): Promise<ExecutionView>;
  listExecutions(query?: ExecutionQuery): Promise<Page<ExecutionSummary>>;
  /**
   * Cancels a run; ConflictError when it already finished. Resolves with its record, after
   * in-process subscribers were handed its final event.
   */
  cancel(id: string): Promise<ExecutionView>;
  /**
   * Pauses (`pause: true`: no new step starts, running steps finish) or resumes a run, stored
   * before it resolves; idempotent. NotFoundError for an unknown run, ConflictError for a
   * finished one. Resolves with its record (`paused` set while paused).
   */
  setPaused(id: string, request: { pause: boolean; by?: string }): Promise<ExecutionView>;
  /**
   * Starts a new run of a finished run that did not complete (or, with `from`, of a completed
   * one), linked by `retryOf`: steps that succeeded keep their record and outputs (`reused`),
   * the others run. NotFoundError for an unknown run, ConflictError for one that may not be
   * retried, InvalidArgumentError for an unknown `from` step.
   */
  retry(id: string, opts?: RetryOptions): Promise<RetryResult>;
  /** Logs as text, each line prefixed by step id and stream. */
  logs(id: string, opts?: { stepId?: string }): Promise<string>;
  /**
   * Resolves with the final record once the run has finished and its final events were handed
   * to in-process subscribers (a subscriber still busy with an earlier event holds them in its
   * buffer).
   */
  waitForExecution(id: string, opts?: { timeoutMs?: number }): Promise<ExecutionView>;

  /** Subscribes to outbound events through the monitor. */
  subscribe(listener: EventListener, opts?: SubscribeOptions): EventSubscription;
  health(): Promise<Health>;
  machines(): MachineInfo[];
  /** Handles `POST /hooks/<path>`: signature, input, at most one run per Idempotency-Key. */
  webhook(request: WebhookRequest): Promise<WebhookResult>;
  /** This instance's metrics in Prometheus text format (version 0.0.4). */
  metrics(): Promise<string>;
  /** Run statistics per workflow over a window (default 1 h). */
  statistics(query?: StatisticsQuery): Promise<Statistics>;
  /** Declared triggers with their state, next and last fire, ordered by id. */
  listTriggers(query?: TriggerQuery): Promise<TriggerView[]>;
  /** One trigger; NotFoundError when no workflow declares it. */
  getTrigger(id: string): Promise<TriggerView>;
  /** Pauses a trigger; the pause is stored and survives restarts. */
  pauseTrigger(id: string): Promise<TriggerView>;
  /** Resumes a paused trigger (or one in error). */
  resumeTrigger(id: string): Promise<TriggerView>;
  /** Fires a trigger now, through its workflow's overlap policy; failures are thrown. */
  fireTrigger(id: string, opts?: FireOptions): Promise<FireResult>;
  /**
   * Sends a command to an engine of any process of the cluster (`health.check` only reads it)
   * and resolves with the engine as it then is; UnavailableError when no live process holds it.
   */
  engine?(id: string, command: EngineCommandName): Promise<EngineStatus>;
  /** Counts one handled command for the metrics; called by the command layer's dispatch. */
  recordCommand?(command: string, seconds: number, errorCode?: string): void;
  /** Token buckets of state-changing commands (per client, per session); dispatch checks them. */
  readonly rateLimiter?: RateLimiter;
  /** Supervised long-lived processes (create, start, input, next-actionable, ...). */
  readonly sessions: SessionManager;
  /**
   * Approval steps: decide one (wherever its run is held; stored before the answer) and list
   * what waits for a person, oldest first.
   */
  readonly approvals: Pick<Approvals, 'decide' | 'list'>;
  /** Kept step artifacts (absent on services that keep none): downloads read them. */
  readonly artifacts?: Pick<ArtifactStore, 'get'>;
  /** Every live actor (engines, runs, steps, sessions, triggers, monitor), on every node. */
  readonly actors: LiveActors;
  /**
   * Stops intake (commands that start work answer `shutting_down`), stores what is in flight and
   * closes bus and store. Running steps and sessions are left to the process host, which the
   * next start re-attaches to (without a host, runs drain for the grace period, then stop
   * unfinished). `stopProcesses` stops them instead, the steps stored `interrupted`; asked again
   * with it, a shutdown under way switches if it has not let go of them yet. Idempotent.
   */
  close(options?: { stopProcesses?: boolean }): Promise<void>;
}

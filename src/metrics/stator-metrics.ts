/**
 * Prometheus metrics of one Stator instance (prom-client). Every instance owns its own
 * Registry, so two services in one process never clash, and nothing touches prom-client's
 * global default registry. Counters move from three feeds: the command layer
 * (`commandHandled`), the event stream (`observeEvent`, a tap on the event pipeline that never
 * drops: runs and steps), and the trigger registry (`triggerFired`, `triggerSkipped`, called
 * where it emits `trigger.fired` / `trigger.skipped`). Gauges are read at scrape time. Label values are bounded: command names, error codes, workflow ids,
 * statuses and reasons, never execution ids.
 * @module
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StampedEvent } from '../events.ts';
import { STEP_STATUS_OF } from '../events.ts';
import { StepTimer } from './step-timer.ts';

/** Duration buckets of commands, seconds. */
export const COMMAND_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Duration buckets of steps and runs, seconds. */
export const RUN_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14_400];

/** Where the gauges read their values at scrape time. */
export interface MetricsSources {
  /** Runs live in this process. */
  activeExecutions(): number;
  /** Executions waiting for a slot (as far as this process can tell). */
  queuedWork(): number;
  /** Engine slots taken. */
  slotsInUse(): number;
  /** Engine slots in total. */
  slotsTotal(): number;
  /** Events the monitor dropped so far (monotonic). */
  eventsDropped(): number;
}

/** Options of the metrics. */
export interface MetricsOptions {
  /**
   * Default process metrics (CPU, memory, handles, event loop lag, GC). They start at the first
   * scrape, so a service that is never scraped installs no GC observer or loop-delay timer.
   * @default true
   */
  processMetrics?: boolean;
}

/** The gauges and counters one service exports. */
export class StatorMetrics {
  /** This instance's registry (not prom-client's global one). */
  readonly registry = new Registry();
  readonly #processMetrics: boolean;
  #processStarted = false;
  readonly #steps = new StepTimer();

  readonly #commands: Counter<'command'>;
  readonly #commandDuration: Histogram<'command'>;
  readonly #commandErrors: Counter<'command' | 'code'>;
  readonly #executions: Counter<'workflow' | 'status'>;
  readonly #executionDuration: Histogram<'workflow' | 'status'>;
  readonly #stepDuration: Histogram<'workflow' | 'status'>;
  readonly #triggerFires: Counter<'workflow' | 'trigger'>;
  readonly #triggerSkips: Counter<'workflow' | 'reason'>;
  readonly #triggerRejects: Counter<'workflow' | 'reason'>;
  readonly #rateLimitHits: Counter<'scope'>;

  constructor(sources: MetricsSources, options: MetricsOptions = {}) {
    this.#processMetrics = options.processMetrics ?? true;
    const registers = [this.registry];
    this.#commands = new Counter({
      name: 'stator_commands_total',
      help: 'Commands handled, by command name (HTTP and stator.api.* alike).',
      labelNames: ['command'],
      registers,
    });
    this.#commandDuration = new Histogram({
      name: 'stator_command_duration_seconds',
      help: 'Time to handle a command, by command name.',
      labelNames: ['command'],
      buckets: COMMAND_BUCKETS,
      registers,
    });
    this.#commandErrors = new Counter({
      name: 'stator_command_errors_total',
      help: 'Commands that failed, by command name and error code.',
      labelNames: ['command', 'code'],
      registers,
    });
    this.#executions = new Counter({
      name: 'stator_executions_total',
      help: 'Runs that reached a final status in this process, by workflow and status.',
      labelNames: ['workflow', 'status'],
      registers,
    });
    this.#executionDuration = new Histogram({
      name: 'stator_execution_duration_seconds',
      help: 'Duration of finished runs (start to end), by workflow and final status.',
      labelNames: ['workflow', 'status'],
      buckets: RUN_BUCKETS,
      registers,
    });
    this.#stepDuration = new Histogram({
      name: 'stator_step_duration_seconds',
      help: 'Duration of step attempts, by workflow and outcome.',
      labelNames: ['workflow', 'status'],
      buckets: RUN_BUCKETS,
      registers,
    });
    gauge(registers, 'stator_active_executions', 'Runs live in this process.', () =>
      sources.activeExecutions(),
    );
    gauge(registers, 'stator_queued_work', 'Executions waiting for an engine slot.', () =>
      sources.queuedWork(),
    );
    gauge(registers, 'stator_engine_slots_in_use', 'Engine slots running work.', () =>
      sources.slotsInUse(),
    );
    gauge(registers, 'stator_engine_slots', 'Engine slots in this process.', () =>
      sources.slotsTotal(),
    );
    this.#triggerFires = new Counter({
      name: 'stator_trigger_fires_total',
      help: 'Trigger fires that started a run, by workflow and trigger kind.',
      labelNames: ['workflow', 'trigger'],
      registers,
    });
    this.#triggerSkips = new Counter({
      name: 'stator_trigger_skips_total',
      help: 'Trigger fires that started nothing, by workflow and reason.',
      labelNames: ['workflow', 'reason'],
      registers,
    });
    this.#triggerRejects = new Counter({
      name: 'stator_trigger_rejected_total',
      help: 'NATS trigger messages refused before firing (not JSON, not an object, bad inputs).',
      labelNames: ['workflow', 'reason'],
      registers,
    });
    this.#rateLimitHits = new Counter({
      name: 'stator_rate_limit_hits_total',
      help: 'Requests refused by a rate limiter.',
      labelNames: ['scope'],
      registers,
    });
    // The monitor counts its drops; the counter catches up with that total at each scrape.
    let seen = 0;
    new Counter({
      name: 'stator_events_dropped_total',
      help: 'Events lost by subscribers whose buffers were full.',
      registers,
      collect() {
        const total = sources.eventsDropped();
        if (total > seen) {
          this.inc(total - seen);
          seen = total;
        }
      },
    });
  }

  /** The content type of `text()`: Prometheus text format 0.0.4. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text of every metric of this instance. */
  async text(): Promise<string> {
    if (this.#processMetrics && !this.#processStarted) {
      this.#processStarted = true;
      collectDefaultMetrics({ register: this.registry });
    }
    return this.registry.metrics();
  }

  /** Records one handled command; `errorCode` when it failed. */
  commandHandled(command: string, seconds: number, errorCode?: string): void {
    this.#commands.inc({ command });
    this.#commandDuration.observe({ command }, seconds);
    if (errorCode !== undefined) {
      this.#commandErrors.inc({ command, code: errorCode });
      if (errorCode === 'rate_limited') this.#rateLimitHits.inc({ scope: 'command' });
    }
  }

  /** Feeds one published event (the pipeline's tap); never throws. */
  observeEvent(event: StampedEvent): void {
    try {
      const at = Date.parse(event.ts);
      switch (event.type) {
        case 'execution.blocked':
          this.#executions.inc({ workflow: event.workflowId, status: event.status });
          return;
        case 'execution.completed':
        case 'execution.failed':
        case 'execution.cancelled':
        case 'execution.timed_out': {
          const labels = { workflow: event.workflowId, status: event.status };
          this.#executions.inc(labels);
          if (event.durationMs !== undefined) {
            this.#executionDuration.observe(labels, event.durationMs / 1000);
          }
          this.#steps.forget(event.executionId);
          return;
        }
        case 'step.started':
          this.#steps.start(event.executionId, event.stepId, at);
          return;
        case 'step.retrying':
        case 'step.completed':
        case 'step.failed':
        case 'step.timed_out':
        case 'step.cancelled':
        case 'step.interrupted': {
          const started = this.#steps.end(event.executionId, event.stepId);
          if (started === undefined) return;
          const status = STEP_STATUS_OF[event.type];
          this.#stepDuration.observe(
            { workflow: event.workflowId, status },
            Math.max(0, at - started) / 1000,
          );
          return;
        }
        default:
          return;
      }
    } catch {
      // A metric must never break the event path.
    }
  }

  /** A trigger started a run of `workflowId` (`trigger`: its kind); the trigger registry calls it. */
  triggerFired(workflowId: string, trigger: string): void {
    this.#triggerFires.inc({ workflow: workflowId, trigger });
  }

  /** A trigger fire started nothing (`overlap`, `paused`, `busy`, `missed`, ...). */
  triggerSkipped(workflowId: string, reason: string): void {
    this.#triggerSkips.inc({ workflow: workflowId, reason });
  }

  /** A trigger message was refused before firing (`malformed_json`, `not_an_object`, `invalid_input`). */
  triggerRejected(workflowId: string, reason: string): void {
    this.#triggerRejects.inc({ workflow: workflowId, reason });
  }

  /** A rate limiter refused a request (the sessions issue adds limiters). */
  rateLimitHit(scope = 'command'): void {
    this.#rateLimitHits.inc({ scope });
  }
}

function gauge(registers: Registry[], name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}

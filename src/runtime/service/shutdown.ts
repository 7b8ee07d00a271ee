/**
 * The service's shutdown (SIGTERM, `close()`). It first stops intake: the bus API, triggers and
 * the work queue, and every command that starts work answers `shutting_down` from then on. What
 * follows depends on where the step processes live:
 *
 * - **With a process host** (embedded mode), it persists what is in flight, freezes the event
 *   pipeline, lets go of the host's connection and stops the actors. The processes of running
 *   steps and sessions go on in the host, and their runs stay exactly as stored (steps
 *   `running`), so the next start re-attaches to them. There is no drain wait.
 * - **Without one, or in a cluster** (whose leases are handed over, so the processes must not
 *   outlive the node), runs in slots may finish within the grace
 *   period; what remains is stopped without final statuses (and its process killed), so it
 *   resumes on the next start (or another process takes it). In a cluster, `release()` then
 *   hands the leases of those runs and of the sessions over (leases/): another node claims them
 *   at once and resumes them, without waiting for the lease TTL.
 * - **Stopping processes** (`close({ stopProcesses: true })`, `--stop-processes`, or a second
 *   signal while the first shutdown runs): the running steps are marked `interrupted` in the
 *   store, as lost attempts (the next start runs them again without using a retry attempt, like
 *   a process lost with its host), then their processes and the sessions' are stopped.
 *
 * In every case the pipeline is frozen before the actors stop: an actor that dies with the
 * service reports outcomes (a cancelled attempt, a lost host connection) that did not happen to
 * the run, and none of them may reach the store.
 * @module
 */
import type { Logger } from 'pino';
import { sleep, type Clock } from '../../clock.ts';
import { ShuttingDownError, UnavailableError } from '../../errors.ts';
import type { ProcessRunner } from '../../exec/index.ts';
import type { HostClient } from '../../host/index.ts';
import type { MonitorHub } from '../../monitor/index.ts';
import type { SessionManager } from '../../sessions/index.ts';
import type { TriggerRegistry } from '../../triggers/index.ts';
import type { EventPipeline } from '../event-pipeline.ts';
import type { WorkQueue } from '../work-queue/index.ts';
import { untilStopped, type Engine } from './engines.ts';

/** How the service closes. */
export interface CloseOptions {
  /**
   * Stop the processes of running steps and sessions, marking the steps `interrupted`, instead of
   * leaving them to the process host for the next start. Asked again while a shutdown runs, it
   * switches that shutdown to stopping processes if it has not let go of them yet. @default false
   */
  stopProcesses?: boolean;
}

/** A step whose attempt runs a process now. */
export interface RunningStep {
  executionId: string;
  workflowId: string;
  stepId: string;
  attempt: number;
  /** Attempts of the step lost so far, this one not counted. */
  lostAttempts: number;
}

/** What a shutdown stops, in the order it stops them. */
export interface ShutdownContext {
  /** Closes the front doors (bus API), so another process takes requests while this drains. */
  stopIntake(): void;
  triggers: Pick<TriggerRegistry, 'close'>;
  /** Closes the sessions, leaving their processes to the host or stopping them. */
  sessions: Pick<SessionManager, 'close'>;
  queue: Pick<WorkQueue, 'close'>;
  engines: readonly Engine[];
  /** Without a process host: how long runs in slots may go on before they are stopped. */
  graceMs: number;
  runner: Pick<ProcessRunner, 'killAll'>;
  /** The process host holding the step and session processes, if any. */
  host?: Pick<HostClient, 'close' | 'closed'>;
  /** Steps whose attempt runs a process now (marked `interrupted` when processes are stopped). */
  runningSteps(): RunningStep[];
  pipeline: Pick<EventPipeline, 'drain' | 'stopTimers' | 'freeze' | 'emitExecution'>;
  monitor: Pick<MonitorHub, 'stop'>;
  /** Reads the drain's start and times its waits. */
  clock: Clock;
  /** Releases what the composition root created (routes, host, owned bus and store). */
  release(): Promise<void>;
  logger: Logger;
}

/** The least `Retry-After` a refused command gets (the host-mode shutdown takes no time). */
const MIN_RETRY_AFTER_MS = 1000;
/** How long the host connection may take to close before the actors stop anyway. */
const HOST_CLOSE_WAIT_MS = 1000;

/** Closes the service once, however often it is asked. */
export class Shutdown {
  #closing: Promise<void> | undefined;
  #since = 0;
  #stopProcesses = false;
  /** Wakes a drain wait when stopping processes is asked for during it. */
  #escalated: () => void = () => undefined;
  /** Set once the processes were let go of (detached from the host): too late to stop them. */
  #detached = false;
  #closed = false;

  constructor(private readonly ctx: ShutdownContext) {}

  /** True once a shutdown has begun. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Throws `shutting_down` while the service is closing, `unavailable` once it is closed
   * (commands that start work call it).
   */
  assertOpen(): void {
    if (this.#closed) throw new UnavailableError('stator is closed');
    if (this.#closing) throw new ShuttingDownError(this.#retryAfterMs());
  }

  /** Starts the shutdown, or returns the one under way (switching it to stopping processes). */
  close(options: CloseOptions = {}): Promise<void> {
    if (options.stopProcesses === true && !this.#stopProcesses) {
      if (this.#detached) {
        this.ctx.logger.warn('processes were already left to the process host; not stopped');
      } else {
        this.#stopProcesses = true;
        this.#escalated();
        if (this.#closing) this.ctx.logger.warn('stopping the processes of running steps');
      }
    }
    if (this.#closing === undefined) {
      this.#since = this.ctx.clock.now();
      this.#closing = this.#close();
    }
    return this.#closing;
  }

  async #close(): Promise<void> {
    const { ctx } = this;
    ctx.stopIntake();
    ctx.triggers.close();
    await ctx.queue.close();
    if (ctx.host !== undefined) await this.#leaveToHost(ctx.host);
    else await this.#drainThenStop();
    ctx.pipeline.stopTimers();
    ctx.monitor.stop();
    await ctx.release();
    this.#closed = true;
    ctx.logger.info('stator closed');
  }

  /** Host mode: persist, freeze, detach, stop the actors; no drain wait. */
  async #leaveToHost(host: NonNullable<ShutdownContext['host']>): Promise<void> {
    const { pipeline, sessions, logger } = this.ctx;
    await pipeline.drain();
    if (this.#stopProcesses) return this.#stopEverything();
    // Sessions first, while the connection is open: they detach from the processes they follow
    // (the host keeps them; the next start re-attaches).
    await sessions.close({ stopProcesses: false });
    if (this.#stopProcesses) return this.#stopEverything();
    this.#detached = true;
    const running = this.ctx.runningSteps().length;
    // One synchronous block: nothing the dying actors report is stored, and their aborts find
    // the connection ended (a cancel written after it is never sent), so no process is killed.
    pipeline.freeze();
    host.close();
    this.#stopEngines();
    await pipeline.drain();
    await Promise.race([host.closed, sleep(this.ctx.clock, HOST_CLOSE_WAIT_MS)]);
    logger.info({ running }, 'left the running steps and sessions to the process host');
  }

  /** No host: drain the engines for the grace period, then stop what remains. */
  async #drainThenStop(): Promise<void> {
    const { engines, graceMs, sessions, runner, pipeline } = this.ctx;
    // Session processes end now (no host holds them); their stored state stays, so the next
    // start restores them.
    const sessionsClosed = sessions.close({ stopProcesses: true });
    // Drain: runs in slots may finish within the grace period; what remains is abandoned
    // (stays unfinished in the store, its queue lease goes back for another process).
    const drained = Promise.all(engines.map((e) => untilStopped(e)));
    const escalated = new Promise<void>((resolve) => (this.#escalated = resolve));
    if (this.#stopProcesses) this.#escalated();
    for (const e of engines) e.actor.send({ type: 'drain' });
    await Promise.race([drained, escalated, sleep(this.ctx.clock, graceMs)]);
    if (this.#stopProcesses) await this.#markInterrupted();
    pipeline.freeze();
    this.#stopEngines();
    await runner.killAll();
    await sessionsClosed;
    await pipeline.drain();
  }

  /** Stop processes: mark their steps interrupted, then stop the actors and the processes. */
  async #stopEverything(): Promise<void> {
    const { runner, pipeline, sessions, logger } = this.ctx;
    const interrupted = await this.#markInterrupted();
    pipeline.freeze();
    // With the host connection open, the actors' aborts cancel their processes (TERM, then
    // KILL after the grace); killAll waits for their exits.
    this.#stopEngines();
    await Promise.all([runner.killAll(), sessions.close({ stopProcesses: true })]);
    await pipeline.drain();
    logger.info({ interrupted }, 'stopped the processes of running steps and sessions');
  }

  /** Reports every running step `interrupted` and waits until the store has it. */
  async #markInterrupted(): Promise<number> {
    const { pipeline } = this.ctx;
    const steps = this.ctx.runningSteps();
    for (const s of steps) {
      pipeline.emitExecution({
        type: 'step.interrupted',
        executionId: s.executionId,
        workflowId: s.workflowId,
        stepId: s.stepId,
        attempt: s.attempt,
        exitCode: null,
        error: 'its process was stopped with the service',
        lostAttempts: s.lostAttempts + 1,
      });
    }
    await pipeline.drain();
    return steps.length;
  }

  /** Stops every engine still running (their runs stay unfinished, without final statuses). */
  #stopEngines(): void {
    for (const e of this.ctx.engines)
      if (e.actor.getSnapshot().status === 'active') e.actor.send({ type: 'stop' });
  }

  /** Until this process has stopped at the latest (the drain's grace), at least a second. */
  #retryAfterMs(): number {
    if (this.ctx.host !== undefined) return MIN_RETRY_AFTER_MS;
    const left = this.#since + this.ctx.graceMs - this.ctx.clock.now();
    return Math.max(MIN_RETRY_AFTER_MS, left);
  }
}

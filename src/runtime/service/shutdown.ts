/**
 * The service's shutdown (SIGTERM, `close()`): stop intake, drain the engines for the grace
 * period, then stop what remains without final statuses so those runs resume on the next
 * start. It also answers whether the service is closing, which the commands that start work
 * check first.
 * @module
 */
import type { Logger } from 'pino';
import { UnavailableError } from '../../errors.ts';
import type { ProcessRunner } from '../../exec/index.ts';
import type { MonitorHub } from '../../monitor/index.ts';
import type { SessionManager } from '../../sessions/index.ts';
import type { TriggerRegistry } from '../../triggers/index.ts';
import type { EventPipeline } from '../event-pipeline.ts';
import type { WorkQueue } from '../work-queue.ts';
import { untilStopped, type Engine } from './engines.ts';

/** What a shutdown stops, in the order it stops them. */
export interface ShutdownContext {
  /** Closes the front doors (bus API), so another process takes requests while this drains. */
  stopIntake(): void;
  triggers: Pick<TriggerRegistry, 'close'>;
  sessions: Pick<SessionManager, 'close'>;
  queue: Pick<WorkQueue, 'close'>;
  engines: readonly Engine[];
  /** How long runs in slots may go on before they are stopped. */
  graceMs: number;
  runner: Pick<ProcessRunner, 'killAll'>;
  pipeline: Pick<EventPipeline, 'drain' | 'stopTimers'>;
  monitor: Pick<MonitorHub, 'stop'>;
  /** Releases what the composition root created (routes, owned bus and store). */
  release(): Promise<void>;
  logger: Logger;
}

/** Closes the service once, however often it is asked. */
export class Shutdown {
  #closing: Promise<void> | undefined;

  constructor(private readonly ctx: ShutdownContext) {}

  /** True once a shutdown has begun. */
  get closing(): boolean {
    return this.#closing !== undefined;
  }

  /** Throws `unavailable` once the service is closing (commands that start work call it). */
  assertOpen(): void {
    if (this.#closing) throw new UnavailableError('stator is closing');
  }

  /** Starts the shutdown, or returns the one under way. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const { engines, pipeline, runner, monitor, logger } = this.ctx;
    // Runs still going stay unfinished in the store and resume on the next start.
    this.ctx.stopIntake();
    this.ctx.triggers.close();
    // Session processes end now; their stored state stays, so the next start restores them.
    const sessionsClosed = this.ctx.sessions.close();
    await this.ctx.queue.close();
    // Drain: runs in slots may finish within the grace period; what remains is abandoned
    // (stays unfinished in the store, its queue lease goes back for another process).
    const drained = Promise.all(engines.map((e) => untilStopped(e)));
    for (const e of engines) e.actor.send({ type: 'drain' });
    await Promise.race([drained, delay(this.ctx.graceMs)]);
    for (const e of engines)
      if (e.actor.getSnapshot().status === 'active') e.actor.send({ type: 'stop' });
    await runner.killAll();
    await sessionsClosed;
    await pipeline.drain();
    pipeline.stopTimers();
    monitor.stop();
    await this.ctx.release();
    logger.info('stator closed');
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

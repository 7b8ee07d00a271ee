/**
 * The seams every runtime part is built from, created once by the composition root
 * (create-stator.ts) and passed as one value: the topology, the bus, the store, the work
 * queue, the process runner, the clock, the cron scheduler and the logger. Parts take what
 * they use from it; none builds a seam of its own or infers the mode from a seam's kind.
 * @module
 */
import type { Logger } from 'pino';
import type { Bus } from '../bus/index.ts';
import type { Clock } from '../clock.ts';
import type { ProcessRunner } from '../exec/index.ts';
import type { Store } from '../store/index.ts';
import type { Scheduler } from '../triggers/index.ts';
import type { Topology } from './topology.ts';
import type { WorkQueue } from './work-queue/index.ts';

/** The seams of one service. */
export interface Deps {
  /** What is shared and who owns what (topology.ts). */
  readonly topology: Topology;
  readonly bus: Bus;
  readonly store: Store;
  readonly queue: WorkQueue;
  readonly runner: ProcessRunner;
  /** Every runtime timer and timestamp goes through it (a simulated one in tests). */
  readonly clock: Clock;
  /** Cron schedules (croner, or a simulated scheduler in tests). */
  readonly scheduler: Scheduler;
  readonly logger: Logger;
}

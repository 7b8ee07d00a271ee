/**
 * The production Scheduler: croner's own timers (it wakes at most every 30 s and re-arms, so
 * long waits do not drift with the event loop). The callback receives the tick it fires for,
 * recomputed at wake-up: a wake-up late past several ticks calls back once, for the latest.
 * @module
 */
import { Cron } from 'croner';
import { compileCron, validateCron } from './cron-expression.ts';
import type { ScheduleCallback, ScheduleHandle, ScheduleOptions, Scheduler } from './scheduler.ts';

/** Options of the croner scheduler. */
export interface CronerSchedulerOptions {
  /** Let the process exit while schedules are armed. @default true */
  unref?: boolean;
}

/** Creates the croner-backed scheduler. */
export function createCronerScheduler(options: CronerSchedulerOptions = {}): Scheduler {
  const unref = options.unref ?? true;
  return {
    kind: 'croner',
    validate: validateCron,
    schedule: function cronerSchedule(
      expression: string,
      opts: ScheduleOptions,
      callback: ScheduleCallback,
    ): ScheduleHandle {
      const ticks = compileCron(expression, opts.timezone);
      let stopped = false;
      let last = Number.NEGATIVE_INFINITY;
      const job = new Cron(
        expression,
        { mode: '5-or-6-parts', timezone: opts.timezone, unref, catch: true },
        function cronTick() {
          if (stopped) return;
          const now = Date.now();
          const at = ticks.latestDue(now) ?? now;
          if (at <= last) return;
          last = at;
          callback(at);
        },
      );
      return {
        nextRun: () => (stopped ? null : (job.nextRun()?.getTime() ?? null)),
        stop() {
          stopped = true;
          job.stop();
        },
      };
    },
    nextRuns: (expression, timezone, from, n) =>
      compileCron(expression, timezone).nextRuns(from, n),
    previousRuns: (expression, timezone, before, n) =>
      compileCron(expression, timezone).previousRuns(before, n),
  };
}

/**
 * A Scheduler for tests: ticks are computed by croner (the same CronExpression as production)
 * but fire on an injected Clock, such as xstate's SimulatedClock, so a test advances time
 * instead of sleeping. Semantics match the croner scheduler: one callback per tick, and a
 * clock that jumps past several ticks calls back once, for the latest one due.
 * @module
 */
import type { Clock, TimerHandle } from '../clock.ts';
import { compileCron, validateCron } from './cron-expression.ts';
import type { ScheduleCallback, ScheduleHandle, ScheduleOptions, Scheduler } from './scheduler.ts';

/** The simulated scheduler, with a count of its live schedules. */
export interface SimulatedScheduler extends Scheduler {
  /** Schedules started and not stopped. */
  active(): number;
}

/** Creates a scheduler whose timers run on `clock`. */
export function createSimulatedScheduler(clock: Clock): SimulatedScheduler {
  let live = 0;
  return {
    kind: 'simulated',
    validate: validateCron,
    active: () => live,
    schedule: function simulatedSchedule(
      expression: string,
      opts: ScheduleOptions,
      callback: ScheduleCallback,
    ): ScheduleHandle {
      const ticks = compileCron(expression, opts.timezone);
      let next = ticks.next(clock.now());
      let timer: TimerHandle | undefined;
      let stopped = false;
      let last = Number.NEGATIVE_INFINITY;
      const arm = () => {
        if (stopped || next === null) return;
        timer = clock.setTimeout(tick, Math.max(0, next - clock.now()));
      };
      const tick = () => {
        timer = undefined;
        if (stopped || next === null) return;
        const now = clock.now();
        const at = Math.max(ticks.latestDue(now) ?? next, next);
        next = ticks.next(Math.max(now, at));
        arm();
        if (at <= last) return;
        last = at;
        try {
          callback(at);
        } catch {
          // The contract: a throwing callback does not stop the schedule.
        }
      };
      live++;
      arm();
      return {
        nextRun: () => (stopped ? null : next),
        stop() {
          if (stopped) return;
          stopped = true;
          live--;
          if (timer !== undefined) clock.clearTimeout(timer);
          timer = undefined;
        },
      };
    },
    nextRuns: (expression, timezone, from, n) =>
      compileCron(expression, timezone).nextRuns(from, n),
    previousRuns: (expression, timezone, before, n) =>
      compileCron(expression, timezone).previousRuns(before, n),
  };
}

/**
 * The Scheduler seam: cron expressions in, callbacks at their ticks out. Triggers use it and
 * never croner directly, so tests drive schedules with a simulated clock
 * (simulated-scheduler.ts) while the service runs on croner's timers (croner-scheduler.ts).
 * Both share one conformance suite (test/conformance/scheduler.case.ts).
 *
 * Expressions have 5 fields (minute first) or 6 (seconds first); croner's nicknames (`@daily`,
 * `@hourly`, ...) are accepted. Times are milliseconds since the epoch.
 * @module
 */

/** Options of one schedule. */
export interface ScheduleOptions {
  /** IANA timezone the expression is read in. @default the process's local timezone */
  timezone?: string;
}

/**
 * Called at each tick with the tick's scheduled time (a whole second), not the wake-up time.
 * It must not throw; a throw is swallowed and the schedule goes on.
 */
export type ScheduleCallback = (scheduledAt: number) => void;

/** A live schedule. */
export interface ScheduleHandle {
  /** The next tick this schedule will call back for; null once stopped or exhausted. */
  nextRun(): number | null;
  /** Stops the schedule for good; idempotent. No callback runs after it returns. */
  stop(): void;
}

/** Cron schedules and their ticks; croner in the service, a simulated clock in tests. */
export interface Scheduler {
  /** A name for logs and conformance reports ("croner", "simulated"). */
  readonly kind: string;
  /** Throws an InvalidArgumentError naming `schedule` or `timezone` with the reason. */
  validate(expression: string, timezone?: string): void;
  /**
   * Calls `callback` at every tick from now on. A tick is never called back twice; when the
   * process was busy past several ticks, the callback runs once, for the latest one due.
   */
  schedule(expression: string, opts: ScheduleOptions, callback: ScheduleCallback): ScheduleHandle;
  /** The first `n` ticks strictly after `from`, oldest first (catch-up after downtime). */
  nextRuns(expression: string, timezone: string | undefined, from: number, n: number): number[];
  /** The last `n` ticks at or before `before`, newest first. */
  previousRuns(
    expression: string,
    timezone: string | undefined,
    before: number,
    n: number,
  ): number[];
}

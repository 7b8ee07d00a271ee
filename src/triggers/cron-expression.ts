/**
 * Cron expressions on croner, shared by both schedulers: checking an expression (the reason
 * named by field), and a paused croner job per expression used only to compute ticks. The
 * checks are the workflow schema's own (`cronScheduleProblem`, `timezoneProblem`), so an
 * expression the schema accepted is one a scheduler accepts.
 * @module
 */
import { Cron } from 'croner';
import { InvalidArgumentError } from '../errors.ts';
import { cronScheduleProblem, timezoneProblem } from '../workflow/index.ts';

/** Upper bound of `n` in nextRuns/previousRuns. */
export const MAX_RUNS_PER_QUERY = 10_000;

/** Throws an InvalidArgumentError naming `schedule` or `timezone` unless both are usable. */
export function validateCron(expression: string, timezone?: string): void {
  const tz = timezone === undefined ? undefined : timezoneProblem(timezone);
  if (tz !== undefined) throw InvalidArgumentError.format([{ path: 'timezone', message: tz }]);
  const problem = cronScheduleProblem(expression, timezone);
  if (problem !== undefined) {
    throw InvalidArgumentError.format([{ path: 'schedule', message: problem }]);
  }
}

/** A checked expression that computes its ticks (it has no timer of its own). */
export class CronExpression {
  readonly #job: Cron;

  constructor(
    readonly expression: string,
    readonly timezone?: string,
  ) {
    validateCron(expression, timezone);
    this.#job = new Cron(expression, { mode: '5-or-6-parts', timezone, paused: true });
  }

  /** The first tick strictly after `from`, or null when there is none. */
  next(from: number): number | null {
    return this.#job.nextRun(new Date(from))?.getTime() ?? null;
  }

  /** The first `n` ticks strictly after `from`, oldest first. */
  nextRuns(from: number, n: number): number[] {
    return this.#job.nextRuns(checkCount(n), new Date(from)).map((d) => d.getTime());
  }

  /** The last `n` ticks at or before `before`, newest first. */
  previousRuns(before: number, n: number): number[] {
    // croner's reference is exclusive; a tick exactly at `before` counts as due.
    return this.#job.previousRuns(checkCount(n), new Date(before + 1)).map((d) => d.getTime());
  }

  /** The latest tick at or before `now`, or null when there is none. */
  latestDue(now: number): number | null {
    return this.previousRuns(now, 1)[0] ?? null;
  }
}

function checkCount(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > MAX_RUNS_PER_QUERY) {
    throw InvalidArgumentError.format([
      { path: 'n', message: `must be an integer from 0 to ${MAX_RUNS_PER_QUERY}` },
    ]);
  }
  return n;
}

const CACHE_SIZE = 256;
const cache = new Map<string, CronExpression>();

/** A checked expression, compiled once per (expression, timezone) and kept (at most 256). */
export function compileCron(expression: string, timezone?: string): CronExpression {
  const key = `${timezone ?? ''}\u0000${expression}`;
  let compiled = cache.get(key);
  if (!compiled) {
    compiled = new CronExpression(expression, timezone);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    cache.set(key, compiled);
  }
  return compiled;
}

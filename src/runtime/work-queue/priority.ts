/**
 * Run priorities in the work queue: 1 (highest) to 5 (lowest), 3 when not given. Engines take
 * higher priorities first and FIFO within one; both queues keep one lane per priority.
 * @module
 */

/** The highest priority. */
export const HIGHEST_PRIORITY = 1;
/** The lowest priority. */
export const LOWEST_PRIORITY = 5;
/** The priority of a run that gives none. */
export const DEFAULT_PRIORITY = 3;
/** Every priority, highest first. */
export const PRIORITIES = [1, 2, 3, 4, 5] as const;

/** The lane (0 = highest) of a priority; anything out of range or absent is the default's. */
export function laneOf(priority: number | undefined): number {
  const p =
    priority !== undefined &&
    Number.isInteger(priority) &&
    priority >= HIGHEST_PRIORITY &&
    priority <= LOWEST_PRIORITY
      ? priority
      : DEFAULT_PRIORITY;
  return p - HIGHEST_PRIORITY;
}

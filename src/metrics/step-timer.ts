/**
 * Start times of step attempts in progress, for the step duration histogram. Bounded: it keeps
 * at most `maxRuns` runs (the oldest is forgotten first), so a run whose final event never
 * arrives cannot make it grow without end.
 * @module
 */

/** Runs a StepTimer tracks at most when it is given no bound. */
export const DEFAULT_STEP_TIMER_RUNS = 10_000;

/** Start times (epoch ms) of live step attempts, by run and step. */
export class StepTimer {
  readonly #runs = new Map<string, Map<string, number>>();

  constructor(private readonly maxRuns = DEFAULT_STEP_TIMER_RUNS) {}

  /** Notes that an attempt of `stepId` started at `at`. */
  start(executionId: string, stepId: string, at: number): void {
    let steps = this.#runs.get(executionId);
    if (!steps) {
      if (this.#runs.size >= this.maxRuns) {
        const oldest = this.#runs.keys().next().value;
        if (oldest !== undefined) this.#runs.delete(oldest);
      }
      this.#runs.set(executionId, (steps = new Map()));
    }
    steps.set(stepId, at);
  }

  /** Ends the attempt of `stepId`; its start time, or undefined when unknown. */
  end(executionId: string, stepId: string): number | undefined {
    const steps = this.#runs.get(executionId);
    const at = steps?.get(stepId);
    steps?.delete(stepId);
    return at;
  }

  /** Forgets a finished run. */
  forget(executionId: string): void {
    this.#runs.delete(executionId);
  }

  /** Runs tracked. */
  get size(): number {
    return this.#runs.size;
  }
}

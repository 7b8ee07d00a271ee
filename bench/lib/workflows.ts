/**
 * Workflow documents the benchmarks run: chains and fan-outs of one step body.
 * @module
 */

/** The body of every step of a generated workflow. */
export type StepBody = { exec: string[] } | { noop: true };

/** `exec: [true]`: the cheapest real process. */
export const TRUE_STEP: StepBody = { exec: ['true'] };
/** A step that never leaves the process. */
export const NOOP_STEP: StepBody = { noop: true };

/** A workflow document (as a user writes it). */
export interface WorkflowDoc {
  id: string;
  concurrency: number;
  steps: Array<Record<string, unknown>>;
}

/** `n` steps, each needing the previous one. */
export function chain(id: string, n: number, body: StepBody): WorkflowDoc {
  return {
    id,
    concurrency: 1,
    steps: Array.from({ length: n }, (_, i) => ({
      id: `s${i}`,
      ...body,
      ...(i > 0 && { needs: `s${i - 1}` }),
    })),
  };
}

/** `n` independent steps run at most `concurrency` at a time. */
export function fanOut(id: string, n: number, concurrency: number, body: StepBody): WorkflowDoc {
  return {
    id,
    concurrency,
    steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, ...body })),
  };
}

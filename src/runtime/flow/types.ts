/**
 * The flow gate seam: per-workflow, per-key limits on run starts (`runConcurrency`, `rateLimit`;
 * src/workflow/flow-control.ts). The dispatcher asks the gate before a run it took from the work
 * queue starts; a run the gate holds leaves the engine slot and waits in the gate (its record
 * stays `pending`), and the gate hands it back (`ready`) once a slot or a token frees, highest
 * priority first and FIFO within one. A held run is never dropped: it is stored pending, so a
 * restart queues it again. In process: memory-flow-gate.ts.
 * @module
 */
import type { FlowWaitInfo } from '../../store/index.ts';
import type { FlowControls } from '../../workflow/index.ts';

/** One run at the gate. */
export interface FlowRun {
  executionId: string;
  workflowId: string;
  /** 1 (highest) to 5; absent: the default. */
  priority?: number;
  controls: FlowControls;
  inputs: Record<string, unknown>;
  /** The run started before (a restart or a takeover resumes it): counted, never held. */
  resumed?: boolean;
  /** When the run was requested (ms): orders a `debounce` burst. @default now */
  createdAt?: number;
}

/** A debounced run was absorbed by a later request of its key: cancel it, naming `into`. */
export type FlowSuperseded = (executionId: string, into: string) => void | Promise<void>;

/** A held run the gate lets go: queued again at its priority. */
export type FlowReady = Pick<FlowRun, 'executionId' | 'workflowId' | 'priority'>;

/** Why a run waits (kept in its record as `waiting` while it does). */
export type FlowWait = FlowWaitInfo;

/** What the gate says: start now (its slot and token are taken), or wait. */
export type FlowVerdict = { start: true } | { start: false; wait: FlowWait };

/** The gate. */
export interface FlowGate {
  /**
   * Start now, or hold the run: the gate calls the `ready` it was made with when the run may
   * start; the run then comes through `admit` again and starts (its slot is kept for it).
   */
  admit(run: FlowRun): Promise<FlowVerdict>;
  /**
   * The run ended or left this process: its slot frees for the next waiter. `left`: it left
   * this process only and goes on elsewhere (shutdown hands it over): a gate shared with the
   * other processes keeps its slot for it.
   */
  release(executionId: string, left?: 'left'): void;
  /** Runs held, per workflow and key (for tests and metrics). */
  waiting(): number;
  close(): Promise<void>;
}

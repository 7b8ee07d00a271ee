/**
 * What an execution machine is given and keeps: its input, its context (with the ledger of its
 * DAG, execution-ledger.ts), its output, and the part of enqueueActions' `enqueue` its action
 * implementations use (execution-dispatch.ts, execution-actions.ts). execution.machine.ts
 * re-exports the public types, so importers keep one entry point.
 * @module
 */
import type { ExecutionEvent } from '../src/events.ts';
import type { WorkflowDefinition } from '../src/workflow/types.ts';
import type { WireError } from '../src/errors.ts';
import type { StepInput } from './step-context.ts';
import { createLedger, type ExecutionLedger, type ResumedStep } from './execution-ledger.ts';
import { rollbackEnding, type RollbackQueue } from './execution-rollback.ts';

/** What a run needs. */
export interface ExecutionInput {
  executionId: string;
  workflowId: string;
  definition: WorkflowDefinition;
  /** Step states from a previous process (rehydration). */
  resume?: Record<string, ResumedStep>;
  /** Time the run already ran under previous processes: its timeout counts it. @default 0 */
  elapsedMs?: number;
  /** The run was paused under a previous process: it starts paused. */
  paused?: ExecutionPause;
  /**
   * The run was rolling back under a previous process, with this error (its original failure,
   * stored on the record as rollback began): it goes straight back to `rolling_back` and ends as
   * that error says (`timed_out` for the run timeout's, else `failed`), whatever its steps show.
   */
  rollingBack?: { error: WireError };
}

/** Why a run is paused, and by whom (`breakpoint` for a `pauseBefore` step). */
export type ExecutionPause =
  | { by: string; reason: 'request' }
  /** A breakpoint: `stepId` has `pauseBefore` and was next to start. */
  | { by: string; reason: 'breakpoint'; stepId: string };

/** Final outcome of a run. */
export type ExecutionOutcome = 'completed' | 'failed' | 'cancelled' | 'timed_out' | 'blocked';

/** A safety finding that made a policy block a run (src/plans). */
export interface BlockingFinding {
  severity: string;
  rule: string;
  stepId?: string;
  message: string;
}

/** The run's output when it reaches a final state. */
export interface ExecutionOutput {
  executionId: string;
  status: ExecutionOutcome;
  error: WireError | null;
}

/** Run context. `ledger` is updated in place (see execution-ledger.ts). */
export interface ExecutionMachineContext extends Omit<ExecutionInput, 'paused'> {
  ledger: ExecutionLedger;
  /** Step id → definition index. */
  index: Record<string, number>;
  error: WireError | null;
  outcome: ExecutionOutcome | null;
  /** Set while paused: no new step starts. */
  paused: ExecutionPause | null;
  /** Steps whose breakpoint (`pauseBefore`) a resume let through. */
  passed: Record<string, true>;
  /** While rolling back: the rollbacks to run (execution-rollback.ts). */
  rollback: RollbackQueue | null;
  /** The attempt the rollback under way is on. */
  rollbackAttempt: number;
  /** How a run that rolls back ends: failed, or timed_out when its timeout cut it. */
  ending: 'failed' | 'timed_out';
}

/**
 * What the execution's action implementations enqueue: the part of enqueueActions' `enqueue`
 * they use, so they are plain functions the machine's `setup()` wraps.
 */
export interface ExecutionEnqueue {
  emit(event: ExecutionEvent): void;
  assign(values: Partial<ExecutionMachineContext>): void;
  stopChild(id: string): void;
  spawnChild(src: 'step', options: { id: string; input: StepInput }): void;
  sendTo(id: string, event: { type: 'start' }): void;
}

/** What an action implementation receives (a part of enqueueActions' first argument). */
export interface ExecutionActionArgs {
  context: ExecutionMachineContext;
  enqueue: ExecutionEnqueue;
}

/** The context a run starts with. */
export function createExecutionContext(input: ExecutionInput): ExecutionMachineContext {
  const index: Record<string, number> = {};
  input.definition.steps.forEach((s, i) => (index[s.id] = i));
  return {
    ...input,
    index,
    ledger: createLedger(input.definition.steps, input.resume),
    error: input.rollingBack?.error ?? null,
    outcome: null,
    paused: input.paused ?? null,
    passed: {},
    rollback: null,
    rollbackAttempt: 0,
    ending: input.rollingBack ? rollbackEnding(input.rollingBack.error) : ('failed' as const),
  };
}

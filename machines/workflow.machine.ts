/**
 * One workflow run: pending → running → completed | failed | cancelled | timed_out.
 * While running it starts a task actor for every step whose needs are met, never more than
 * the run's concurrency at once, and settles each from the task's output. A failure that is
 * not tolerated (`continueOnError`) ends the run: live tasks are cancelled (stopping the run
 * stops them), steps that never started are skipped. Every change is emitted as an
 * ExecutionEvent; the runtime persists and publishes them.
 * @module
 */
import { assign, emit, enqueueActions, setup } from 'xstate';
import type { ExecutionEvent } from '../src/events.ts';
import type { WorkflowDefinition } from '../src/workflow/types.ts';
import type { StepStatus } from '../src/store/types.ts';
import type { WireError } from '../src/errors.ts';
import { taskMachine, type TaskOutput, type TaskReport } from './task.machine.ts';
import {
  allSettled,
  createLedger,
  liveSteps,
  occupySlot,
  releaseSlot,
  settle,
  takeReady,
  unstartedSteps,
  type ResumedStep,
  type RunLedger,
} from './run-ledger.ts';

/** What a run needs. */
export interface WorkflowInput {
  executionId: string;
  workflowId: string;
  definition: WorkflowDefinition;
  /** Step states from a previous process (rehydration). */
  resume?: Record<string, ResumedStep>;
}

/** Final outcome of a run. */
export type RunOutcome = 'completed' | 'failed' | 'cancelled' | 'timed_out';

/** The run's output when it reaches a final state. */
export interface WorkflowOutput {
  executionId: string;
  status: RunOutcome;
  error: WireError | null;
}

/** Run context. `ledger` is updated in place (see run-ledger.ts). */
export interface WorkflowContext extends WorkflowInput {
  ledger: RunLedger;
  /** Step id → definition index. */
  index: Record<string, number>;
  error: WireError | null;
  outcome: RunOutcome | null;
}

/** Events a run accepts. */
export type WorkflowEvent =
  | { type: 'start' }
  | { type: 'cancel'; reason?: string }
  | TaskReport
  | { type: `xstate.done.actor.${string}`; output: TaskOutput }
  | { type: `xstate.error.actor.${string}`; error: unknown };

const TASK_PREFIX = 'task:';
const DONE_PREFIX = `xstate.done.actor.${TASK_PREFIX}`;
const ERROR_PREFIX = `xstate.error.actor.${TASK_PREFIX}`;

/**
 * The XState child id of the task actor in `slot`. Tasks are named by slot (see
 * RunLedger.slotStep); the step a task runs is in its input and its output.
 */
export function taskChildId(slot: number): string {
  return `${TASK_PREFIX}${slot}`;
}

/** The slot named by a task's `xstate.done.actor.*` or `xstate.error.actor.*` event. */
function slotOfEvent(type: string): number {
  const prefix = type.startsWith(DONE_PREFIX) ? DONE_PREFIX : ERROR_PREFIX;
  return Number(type.slice(prefix.length));
}

/** The workflow-run machine. */
export const workflowMachine = setup({
  types: {
    context: {} as WorkflowContext,
    events: {} as WorkflowEvent,
    input: {} as WorkflowInput,
    output: {} as WorkflowOutput,
    emitted: {} as ExecutionEvent,
  },
  actors: { task: taskMachine },
  actions: {
    announceStart: emit(({ context }) => ({
      type: 'execution.started' as const,
      executionId: context.executionId,
      workflowId: context.workflowId,
    })),
    /** Starts ready steps up to the run's concurrency. */
    dispatchReady: enqueueActions(({ context, enqueue }) => {
      const { ledger, definition } = context;
      while (ledger.live < definition.concurrency) {
        const i = takeReady(ledger);
        if (i === undefined) break;
        const step = definition.steps[i]!;
        const id = taskChildId(occupySlot(ledger, i));
        enqueue.spawnChild('task', {
          id,
          input: {
            executionId: context.executionId,
            workflowId: context.workflowId,
            step,
            defaultTimeoutMs: definition.defaultTimeoutMs,
            attemptsUsed: ledger.attemptsUsed[i],
          },
        });
        enqueue.sendTo(id, { type: 'start' });
      }
    }),
    /** Remembers a live step's attempt (reported if the run ends while it runs). */
    noteAttempt: ({ context, event }) => {
      const e = event as Extract<TaskReport, { type: 'task.started' }>;
      context.ledger.attemptsUsed[context.index[e.stepId]!] = e.attempt;
    },
    forwardReport: emit(({ context, event }) => {
      const e = event as TaskReport;
      const base = { executionId: context.executionId, workflowId: context.workflowId };
      return e.type === 'task.started'
        ? { type: 'step.started' as const, ...base, stepId: e.stepId, attempt: e.attempt }
        : {
            type: 'step.retrying' as const,
            ...base,
            stepId: e.stepId,
            attempt: e.attempt,
            delayMs: e.delayMs,
            error: e.error,
          };
    }),
    /** Settles a finished task into the ledger and emits its final step event. */
    settleTask: enqueueActions(({ context, event, enqueue }) => {
      const out = (event as { output: TaskOutput }).output;
      const slot = slotOfEvent(event.type);
      const i = releaseSlot(context.ledger, slot);
      if (i === undefined || context.definition.steps[i]!.id !== out.stepId) return;
      settle(context.ledger, context.definition.steps, i, out.status);
      // A finished child stays in the parent's children map until stopped; keeping the map as
      // small as the live set keeps spawn/stop O(concurrency) instead of O(steps).
      enqueue.stopChild(taskChildId(slot));
      enqueue.emit(stepFinishedEvent(context, out));
      if (context.ledger.failedAt === i) {
        enqueue.assign({
          error: {
            code: 'non_retryable',
            message: `step '${out.stepId}' ${out.status === 'timed_out' ? 'timed out' : 'failed'}${out.error ? `: ${out.error}` : ''}`,
            details: { stepId: out.stepId, exitCode: out.exitCode, status: out.status },
            recoverable: false,
          },
        });
      }
    }),
    /** A task actor crashed (a bug, not a step failure): settle it as failed. */
    settleCrashedTask: enqueueActions(({ context, event, enqueue }) => {
      const slot = slotOfEvent(event.type);
      const i = releaseSlot(context.ledger, slot);
      if (i === undefined) return;
      const stepId = context.definition.steps[i]!.id;
      const message = String((event as { error: unknown }).error);
      settle(context.ledger, context.definition.steps, i, 'failed');
      enqueue.stopChild(taskChildId(slot));
      enqueue.emit(
        stepFinishedEvent(context, {
          stepId,
          status: 'failed',
          attempts: 1,
          exitCode: null,
          error: message,
        }),
      );
      if (context.ledger.failedAt === i) {
        enqueue.assign({
          error: { code: 'internal', message, details: { stepId }, recoverable: false },
        });
      }
    }),
    /** Marks live steps with `liveStatus` and unstarted ones skipped, emitting each. */
    abandonRest: enqueueActions(
      ({ context, enqueue }, params: { liveStatus: StepStatus; reason: string }) => {
        const { ledger, definition } = context;
        for (const i of liveSteps(ledger)) {
          settle(ledger, definition.steps, i, params.liveStatus);
          enqueue.emit(
            stepFinishedEvent(context, {
              stepId: definition.steps[i]!.id,
              status: params.liveStatus as TaskOutput['status'],
              attempts: Math.max(1, ledger.attemptsUsed[i]!),
              exitCode: null,
              error: params.reason,
            }),
          );
        }
        for (const i of unstartedSteps(ledger)) {
          ledger.status[i] = 'skipped';
          ledger.settled++;
          enqueue.emit({
            type: 'step.skipped',
            executionId: context.executionId,
            workflowId: context.workflowId,
            stepId: definition.steps[i]!.id,
            reason: params.reason,
          });
        }
      },
    ),
    setError: assign((_, params: { code: WireError['code']; message: string }) => ({
      error: { code: params.code, message: params.message, recoverable: false },
    })),
    setOutcome: assign((_, params: { status: RunOutcome }) => ({ outcome: params.status })),
    announceEnd: emit(({ context }, params: { status: RunOutcome }) => ({
      type: `execution.${params.status}` as const,
      executionId: context.executionId,
      workflowId: context.workflowId,
      status: params.status,
      error: context.error,
    })),
  },
  guards: {
    runFailed: ({ context }) => context.ledger.failedAt >= 0,
    runDone: ({ context }) => allSettled(context.ledger),
    hasRunTimeout: ({ context }) => context.definition.timeoutMs !== undefined,
  },
  delays: {
    runTimeout: ({ context }) => context.definition.timeoutMs ?? 0,
  },
}).createMachine({
  id: 'workflow',
  context: ({ input }) => {
    const index: Record<string, number> = {};
    input.definition.steps.forEach((s, i) => (index[s.id] = i));
    return {
      ...input,
      index,
      ledger: createLedger(input.definition.steps, input.resume),
      error: null,
      outcome: null,
    };
  },
  initial: 'pending',
  states: {
    pending: {
      on: {
        start: 'running',
        cancel: {
          target: 'cancelled',
          actions: {
            type: 'setError',
            params: { code: 'cancelled', message: 'cancelled before start' },
          },
        },
      },
    },
    running: {
      entry: ['announceStart', 'dispatchReady'],
      always: [
        { guard: 'runFailed', target: 'failed' },
        { guard: 'runDone', target: 'completed' },
      ],
      on: {
        'task.started': { actions: ['noteAttempt', 'forwardReport'] },
        'task.retrying': { actions: 'forwardReport' },
        'xstate.done.actor.*': { actions: ['settleTask', 'dispatchReady'] },
        'xstate.error.actor.*': { actions: ['settleCrashedTask', 'dispatchReady'] },
        cancel: {
          target: 'cancelled',
          actions: assign({
            error: ({ event }) => ({
              code: 'cancelled' as const,
              message: event.reason ?? 'cancelled',
              recoverable: false,
            }),
          }),
        },
      },
      after: {
        runTimeout: {
          guard: 'hasRunTimeout',
          target: 'timed_out',
          actions: {
            type: 'setError',
            params: ({ context }) => ({
              code: 'timeout',
              message: `run timed out after ${context.definition.timeoutMs} ms`,
            }),
          },
        },
      },
    },
    completed: {
      type: 'final',
      entry: [
        { type: 'setOutcome', params: { status: 'completed' } },
        { type: 'announceEnd', params: { status: 'completed' } },
      ],
    },
    failed: {
      type: 'final',
      entry: [
        { type: 'abandonRest', params: { liveStatus: 'cancelled', reason: 'run failed' } },
        { type: 'setOutcome', params: { status: 'failed' } },
        { type: 'announceEnd', params: { status: 'failed' } },
      ],
    },
    cancelled: {
      type: 'final',
      entry: [
        { type: 'abandonRest', params: { liveStatus: 'cancelled', reason: 'run cancelled' } },
        { type: 'setOutcome', params: { status: 'cancelled' } },
        { type: 'announceEnd', params: { status: 'cancelled' } },
      ],
    },
    timed_out: {
      type: 'final',
      entry: [
        { type: 'abandonRest', params: { liveStatus: 'timed_out', reason: 'run timed out' } },
        { type: 'setOutcome', params: { status: 'timed_out' } },
        { type: 'announceEnd', params: { status: 'timed_out' } },
      ],
    },
  },
  output: ({ context }) => ({
    executionId: context.executionId,
    status: context.outcome ?? 'failed',
    error: context.error,
  }),
});

function stepFinishedEvent(context: WorkflowContext, out: TaskOutput): ExecutionEvent {
  const base = {
    executionId: context.executionId,
    workflowId: context.workflowId,
    stepId: out.stepId,
  };
  if (out.status === 'succeeded') {
    return { type: 'step.completed', ...base, attempt: out.attempts, exitCode: out.exitCode };
  }
  if (out.status === 'skipped')
    return { type: 'step.skipped', ...base, reason: out.error ?? 'skipped' };
  return {
    type: `step.${out.status}`,
    ...base,
    attempt: out.attempts,
    exitCode: out.exitCode,
    error: out.error ?? out.status,
  };
}

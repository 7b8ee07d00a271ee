/**
 * An executor with a number of slots: idle | running | paused | draining | stopped.
 * `execute` starts an execution in a free slot as a child `execution` actor (supplied by the
 * runtime); when it ends its slot frees. A paused engine keeps its executions going but takes
 * no new work; a draining one finishes what it has and stops. Work waits in the shared work queue, not here:
 * the dispatcher offers an engine work only while it reports free slots.
 * @module
 */
import { assign, emit, enqueueActions, setup } from 'xstate';
import type { EngineEvent } from '../src/events.ts';
import { notProvided } from './not-provided.ts';
import { setupTypes } from './setup-types.ts';
import { slotChildId, slotOfEvent } from './child-slots.ts';

/** What the engine needs. */
export interface EngineInput {
  engineId: string;
  slots: number;
}

/** Engine context. `busy` lists execution ids in slots (bounded by `slots`). */
export interface EngineContext extends EngineInput {
  busy: string[];
  /**
   * The execution id each slot holds, or null. Execution actors are named by slot, not by execution:
   * a fixed set of child ids keeps the children map the same shape from one to the next.
   */
  held: Array<string | null>;
  /** Executions this engine has finished since it started. */
  completed: number;
}

/** Events an engine accepts. */
export type EngineCommand =
  | { type: 'execute'; executionId: string }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'drain' }
  | { type: 'stop' }
  | { type: 'health.check' }
  | { type: `xstate.done.actor.${string}`; output?: unknown }
  | { type: `xstate.error.actor.${string}`; error: unknown };

/** Engine status names. */
export type EngineStatus = 'idle' | 'running' | 'paused' | 'draining' | 'stopped';

const EXECUTION_PREFIX = 'execution:';

/** The XState child id of the execution in engine slot `slot`. */
export function executionChildId(slot: number): string {
  return slotChildId(EXECUTION_PREFIX, slot);
}

/** Transition params: the execution an `execute` names. */
const executionOf = ({ event }: { event: { executionId: string } }) => ({
  executionId: event.executionId,
});

/** Transition params: a refusal of the execution an `execute` names. */
const rejection =
  (reason: string) =>
  ({ event }: { event: { executionId: string } }) => ({ executionId: event.executionId, reason });

/** Transition params: the slot an execution child's done/error event names. */
const endedSlot = ({ event }: { event: { type: string } }) => ({
  slot: slotOfEvent(event.type, EXECUTION_PREFIX),
});

/** The engine machine. */
export const engineMachine = setup({
  types: setupTypes<{
    context: EngineContext;
    events: EngineCommand;
    input: EngineInput;
    emitted: EngineEvent;
  }>(),
  actors: {
    /** Runs one execution to its end; supplied by the runtime. */
    execution: notProvided<unknown, { executionId: string; engineId: string }>('execution'),
  },
  actions: {
    startExecution: enqueueActions(({ context, enqueue }, params: { executionId: string }) => {
      const slot = context.held.indexOf(null);
      const held = [...context.held];
      held[slot] = params.executionId;
      enqueue.assign({ busy: [...context.busy, params.executionId], held });
      enqueue.spawnChild('execution', {
        id: executionChildId(slot),
        input: { executionId: params.executionId, engineId: context.engineId },
      });
    }),
    freeSlot: enqueueActions(({ context, enqueue }, params: { slot: number }) => {
      const executionId = context.held[params.slot];
      if (executionId === undefined || executionId === null) return;
      const held = [...context.held];
      held[params.slot] = null;
      enqueue.stopChild(executionChildId(params.slot));
      enqueue.assign({
        held,
        busy: context.busy.filter((id) => id !== executionId),
        completed: context.completed + 1,
      });
    }),
    reject: emit(({ context }, params: { executionId: string; reason: string }) => ({
      type: 'engine.rejected',
      engineId: context.engineId,
      executionId: params.executionId,
      reason: params.reason,
    })),
    announce: emit(({ context }, params: { status: EngineStatus }) => ({
      type: 'engine.status',
      engineId: context.engineId,
      status: params.status,
      slots: context.slots,
      busy: context.busy.length,
      queued: 0,
    })),
  },
  guards: {
    hasFreeSlot: ({ context }) => context.busy.length < context.slots,
    isBusyWith: ({ context }, params: { executionId: string }) =>
      context.busy.includes(params.executionId),
    isEmpty: ({ context }) => context.busy.length === 0,
    isLastExecution: ({ context }) => context.busy.length <= 1,
  },
}).createMachine({
  id: 'engine',
  context: ({ input }) => ({
    ...input,
    busy: [],
    held: Array.from({ length: input.slots }, () => null),
    completed: 0,
  }),
  initial: 'idle',
  on: {
    stop: '.stopped',
  },
  states: {
    idle: {
      entry: { type: 'announce', params: { status: 'idle' } },
      on: {
        execute: [
          {
            guard: 'hasFreeSlot',
            target: 'running',
            actions: { type: 'startExecution', params: executionOf },
          },
          { actions: { type: 'reject', params: rejection('no free slot') } },
        ],
        pause: 'paused',
        drain: 'stopped',
        'health.check': { actions: { type: 'announce', params: { status: 'idle' } } },
      },
    },
    running: {
      entry: { type: 'announce', params: { status: 'running' } },
      on: {
        execute: [
          {
            guard: { type: 'isBusyWith', params: executionOf },
            actions: { type: 'reject', params: rejection('already running') },
          },
          { guard: 'hasFreeSlot', actions: { type: 'startExecution', params: executionOf } },
          { actions: { type: 'reject', params: rejection('no free slot') } },
        ],
        'xstate.done.actor.*': [
          {
            guard: 'isLastExecution',
            target: 'idle',
            actions: { type: 'freeSlot', params: endedSlot },
          },
          { actions: { type: 'freeSlot', params: endedSlot } },
        ],
        'xstate.error.actor.*': [
          {
            guard: 'isLastExecution',
            target: 'idle',
            actions: { type: 'freeSlot', params: endedSlot },
          },
          { actions: { type: 'freeSlot', params: endedSlot } },
        ],
        pause: 'paused',
        drain: 'draining',
        'health.check': { actions: { type: 'announce', params: { status: 'running' } } },
      },
    },
    paused: {
      entry: { type: 'announce', params: { status: 'paused' } },
      on: {
        execute: { actions: { type: 'reject', params: rejection('engine paused') } },
        'xstate.done.actor.*': { actions: { type: 'freeSlot', params: endedSlot } },
        'xstate.error.actor.*': { actions: { type: 'freeSlot', params: endedSlot } },
        resume: [{ guard: 'isEmpty', target: 'idle' }, { target: 'running' }],
        drain: [{ guard: 'isEmpty', target: 'stopped' }, { target: 'draining' }],
        'health.check': { actions: { type: 'announce', params: { status: 'paused' } } },
      },
    },
    draining: {
      entry: { type: 'announce', params: { status: 'draining' } },
      always: { guard: 'isEmpty', target: 'stopped' },
      on: {
        execute: { actions: { type: 'reject', params: rejection('engine draining') } },
        'xstate.done.actor.*': { actions: { type: 'freeSlot', params: endedSlot } },
        'xstate.error.actor.*': { actions: { type: 'freeSlot', params: endedSlot } },
        'health.check': { actions: { type: 'announce', params: { status: 'draining' } } },
      },
    },
    stopped: {
      type: 'final',
      entry: [
        assign(({ context }) => ({ busy: [], held: context.held.map(() => null) })),
        { type: 'announce', params: { status: 'stopped' } },
      ],
    },
  },
});

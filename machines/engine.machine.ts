/**
 * An executor with a number of slots: idle | running | paused | draining | stopped.
 * `execute` starts a run in a free slot as a child `execution` actor (supplied by the runtime); when a
 * run ends its slot frees. A paused engine keeps its runs going but takes no new work; a
 * draining one finishes what it has and stops. Work waits in the shared work queue, not here:
 * the dispatcher offers an engine work only while it reports free slots.
 * @module
 */
import { assign, emit, enqueueActions, setup, type PromiseActorLogic } from 'xstate';
import type { EngineEvent } from '../src/events.ts';
import { notProvided } from './not-provided.ts';

/** What the engine needs. */
export interface EngineInput {
  engineId: string;
  slots: number;
}

/** Engine context. `busy` lists execution ids in slots (bounded by `slots`). */
export interface EngineContext extends EngineInput {
  busy: string[];
  /**
   * The execution id each slot holds, or null. Run actors are named by slot, not by execution:
   * a fixed set of child ids keeps the children map the same shape from one run to the next.
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

/** The XState child id of the run in engine slot `slot`. */
export function runChildId(slot: number): string {
  return `${EXECUTION_PREFIX}${slot}`;
}

/** The engine machine. */
export const engineMachine = setup({
  types: {
    context: {} as EngineContext,
    events: {} as EngineCommand,
    input: {} as EngineInput,
    emitted: {} as EngineEvent,
  },
  actors: {
    /** Runs one execution to its end; supplied by the runtime. */
    execution:
      notProvided<PromiseActorLogic<unknown, { executionId: string; engineId: string }>>(
        'execution',
      ),
  },
  actions: {
    startRun: enqueueActions(({ context, event, enqueue }) => {
      const { executionId } = event as { executionId: string };
      const slot = context.held.indexOf(null);
      const held = [...context.held];
      held[slot] = executionId;
      enqueue.assign({ busy: [...context.busy, executionId], held });
      enqueue.spawnChild('execution', {
        id: runChildId(slot),
        input: { executionId, engineId: context.engineId },
      });
    }),
    freeSlot: enqueueActions(({ context, event, enqueue }) => {
      const prefix = event.type.startsWith('xstate.done.actor.')
        ? 'xstate.done.actor.'
        : 'xstate.error.actor.';
      const childId = event.type.slice(prefix.length);
      const slot = Number(childId.slice(EXECUTION_PREFIX.length));
      const executionId = context.held[slot];
      const held = [...context.held];
      held[slot] = null;
      enqueue.stopChild(childId);
      enqueue.assign({
        held,
        busy: context.busy.filter((id) => id !== executionId),
        completed: context.completed + 1,
      });
    }),
    reject: emit(({ context, event }, params: { reason: string }) => ({
      type: 'engine.rejected' as const,
      engineId: context.engineId,
      executionId: (event as { executionId: string }).executionId,
      reason: params.reason,
    })),
    announce: emit(({ context }, params: { status: EngineStatus }) => ({
      type: 'engine.status' as const,
      engineId: context.engineId,
      status: params.status,
      slots: context.slots,
      busy: context.busy.length,
      queued: 0,
    })),
  },
  guards: {
    hasFreeSlot: ({ context }) => context.busy.length < context.slots,
    isBusyWith: ({ context, event }) =>
      context.busy.includes((event as { executionId: string }).executionId),
    isEmpty: ({ context }) => context.busy.length === 0,
    isLastRun: ({ context }) => context.busy.length <= 1,
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
          { guard: 'hasFreeSlot', target: 'running', actions: 'startRun' },
          { actions: { type: 'reject', params: { reason: 'no free slot' } } },
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
            guard: 'isBusyWith',
            actions: { type: 'reject', params: { reason: 'already running' } },
          },
          { guard: 'hasFreeSlot', actions: 'startRun' },
          { actions: { type: 'reject', params: { reason: 'no free slot' } } },
        ],
        'xstate.done.actor.*': [
          { guard: 'isLastRun', target: 'idle', actions: 'freeSlot' },
          { actions: 'freeSlot' },
        ],
        'xstate.error.actor.*': [
          { guard: 'isLastRun', target: 'idle', actions: 'freeSlot' },
          { actions: 'freeSlot' },
        ],
        pause: 'paused',
        drain: 'draining',
        'health.check': { actions: { type: 'announce', params: { status: 'running' } } },
      },
    },
    paused: {
      entry: { type: 'announce', params: { status: 'paused' } },
      on: {
        execute: { actions: { type: 'reject', params: { reason: 'engine paused' } } },
        'xstate.done.actor.*': { actions: 'freeSlot' },
        'xstate.error.actor.*': { actions: 'freeSlot' },
        resume: [{ guard: 'isEmpty', target: 'idle' }, { target: 'running' }],
        drain: [{ guard: 'isEmpty', target: 'stopped' }, { target: 'draining' }],
        'health.check': { actions: { type: 'announce', params: { status: 'paused' } } },
      },
    },
    draining: {
      entry: { type: 'announce', params: { status: 'draining' } },
      always: { guard: 'isEmpty', target: 'stopped' },
      on: {
        execute: { actions: { type: 'reject', params: { reason: 'engine draining' } } },
        'xstate.done.actor.*': { actions: 'freeSlot' },
        'xstate.error.actor.*': { actions: 'freeSlot' },
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

import { describe, expect, it, vi } from 'vitest';
import { createActor, setup } from 'xstate';
import { passTurn } from '../../../src/runtime/pass-turn.ts';

/** `waiting --turn.passed--> done`, asking for the turn on entry. */
const machine = setup({
  types: { events: {} as { type: 'turn.passed' } },
  actions: { passTurn },
}).createMachine({
  initial: 'waiting',
  states: {
    waiting: { entry: 'passTurn', on: { 'turn.passed': 'done' } },
    done: { type: 'final' },
  },
});

const nextMacrotask = () => new Promise((resolve) => setImmediate(resolve));

describe('passTurn', () => {
  it('sends turn.passed on a later macrotask, not synchronously nor from a microtask', async () => {
    const actor = createActor(machine).start();
    expect(actor.getSnapshot().value).toBe('waiting');
    await Promise.resolve();
    await new Promise<void>((resolve) => queueMicrotask(resolve));
    expect(actor.getSnapshot().value).toBe('waiting');
    await nextMacrotask();
    expect(actor.getSnapshot().value).toBe('done');
  });

  it('lets callbacks queued before it run first', async () => {
    const order: string[] = [];
    const actor = createActor(machine);
    actor.subscribe({ complete: () => order.push('passed') });
    setImmediate(() => order.push('earlier immediate'));
    actor.start();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order).toEqual(['earlier immediate', 'passed']);
  });

  it('sends nothing to a step stopped before its turn came', async () => {
    const actor = createActor(machine).start();
    const send = vi.spyOn(actor, 'send');
    actor.stop();
    await nextMacrotask();
    expect(send).not.toHaveBeenCalled();
    expect(actor.getSnapshot().value).toBe('waiting');
  });
});

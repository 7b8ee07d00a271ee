/**
 * The actor directory on real XState actors: roots and the machines they spawn, transitions with
 * their events (state changes only), removal when an actor stops (with or without a last
 * event), and the bounded context summary.
 */
import { assign, createActor, createMachine, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import {
  ActorDirectory,
  summarize,
  TRANSITIONS_KEPT,
} from '../../../../src/runtime/actors/index.ts';

const child = createMachine({
  id: 'step',
  context: ({ input }: { input: { step: { id: string } } }) => ({ step: input.step }),
  initial: 'running',
  states: { running: { on: { FINISH: 'done' } }, done: { type: 'final' } },
});

const parent = setup({ actors: { child } }).createMachine({
  id: 'execution',
  context: { n: 0, blob: 'x'.repeat(5000) },
  initial: 'idle',
  states: {
    idle: { on: { GO: 'busy', TICK: { actions: assign({ n: ({ context }) => context.n + 1 }) } } },
    busy: {
      invoke: { id: 'k', src: 'child', input: { step: { id: 'build' } } },
      on: { BACK: 'idle', TICK: { actions: assign({ n: ({ context }) => context.n + 1 }) } },
    },
  },
});

describe('ActorDirectory', () => {
  it('tracks a root, its spawned machines and the transitions that moved them', () => {
    const dir = new ActorDirectory('n1', () => Date.now());
    const actor = createActor(parent);
    dir.track('execution', 'ex1', actor, 'engine.e1');
    actor.start();
    actor.send({ type: 'TICK' }); // context only: no transition listed
    actor.send({ type: 'GO' });
    const list = dir.list();
    expect(list.map((a) => `${a.kind}.${a.id}`).sort()).toEqual([
      'execution.ex1',
      'step.ex1:build',
    ]);
    const detail = dir.get('execution', 'ex1')!;
    expect(detail).toMatchObject({
      parent: 'engine.e1',
      node: 'n1',
      value: 'busy',
      machine: 'execution',
    });
    expect(detail.transitions.map((t) => [t.event, t.from, t.to])).toEqual([
      ['GO', 'idle', 'busy'],
    ]);
    expect(detail.children).toEqual([
      expect.objectContaining({ id: 'ex1:build', machine: 'step' }),
    ]);
    expect(String((detail.context as { blob: string }).blob)).toMatch(/… \(5000 chars\)$/);

    actor.send({ type: 'BACK' }); // the child is stopped with its state
    expect(dir.list({ kind: 'step' })).toEqual([]);
    actor.stop();
    expect(dir.list()).toEqual([]);
    expect(dir.size).toBe(0);
  });

  it('keeps only the last transitions', () => {
    const dir = new ActorDirectory('n1', () => 0);
    const actor = createActor(parent);
    dir.track('execution', 'ex2', actor);
    actor.start();
    for (let i = 0; i < TRANSITIONS_KEPT; i++) {
      actor.send({ type: 'GO' });
      actor.send({ type: 'BACK' });
    }
    expect(dir.get('execution', 'ex2')!.transitions).toHaveLength(TRANSITIONS_KEPT);
    actor.stop();
  });

  it('sweeps actors that stopped without a last event', () => {
    const dir = new ActorDirectory('n1', () => 0);
    const actor = createActor(parent);
    dir.track('execution', 'ex3', actor);
    actor.start();
    actor.stop();
    dir.sweep();
    expect(dir.size).toBe(0);
  });
});

describe('summarize', () => {
  it('bounds strings, arrays, keys and depth, names actors and survives cycles', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const actor = createActor(child, { input: { step: { id: 'x' } } });
    const out = summarize({
      long: 'y'.repeat(300),
      list: Array.from({ length: 30 }, (_, i) => i),
      deep: { a: { b: { c: { d: { e: { f: 1 } } } } } },
      cyclic,
      actor,
      map: new Map([['k', 1]]),
    }) as Record<string, unknown>;
    expect(out.long).toMatch(/… \(300 chars\)$/);
    expect((out.list as unknown[]).at(-1)).toBe('… 10 more');
    expect(JSON.stringify(out.deep)).toContain('[object]');
    expect((out.cyclic as Record<string, unknown>).self).toBe('[circular]');
    expect(out.actor).toMatch(/^\[actor /);
    expect(out.map).toEqual({ '[map]': 1, k: 1 });
    expect(JSON.stringify(out).length).toBeLessThan(2000);
  });
});

/**
 * The dashboard's pure models: a machine definition (the JSON `GET /api/machines/:name` gives)
 * to an ELK graph that the real ELK lays out, a live state value to the ids of the states lit,
 * the run DAG's layers and the log text's lines.
 */
import ElkModule from 'elkjs/lib/elk.bundled.js';
import { describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import {
  activeStateIds,
  eventLabel,
  toElkGraph,
  transitionLabel,
  valueText,
  type StateNodeJson,
} from '../../../src/dashboard/lib/statechart-model.ts';
import { layers, parseLogText } from '../../../src/dashboard/lib/run-model.ts';

/** The CommonJS export is the class (its typings describe an ES module). */
const ELK = ElkModule as unknown as new () => { layout(graph: unknown): Promise<unknown> };

interface Laid {
  id: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  children?: Laid[];
}

const parallel: StateNodeJson = {
  id: 'door',
  key: 'door',
  type: 'parallel',
  states: {
    lock: {
      id: 'door.lock',
      key: 'lock',
      type: 'compound',
      initial: { target: ['#door.lock.locked'] },
      states: {
        locked: {
          id: 'door.lock.locked',
          key: 'locked',
          type: 'atomic',
          transitions: [{ eventType: 'unlock', guard: 'hasKey', target: ['#door.lock.open'] }],
        },
        open: { id: 'door.lock.open', key: 'open', type: 'atomic' },
      },
    },
    light: {
      id: 'door.light',
      key: 'light',
      type: 'compound',
      initial: { target: ['#door.light.off'] },
      states: {
        off: {
          id: 'door.light.off',
          key: 'off',
          type: 'atomic',
          transitions: [
            { eventType: 'xstate.after.glow.door.light.off', target: ['#door.light.on'] },
          ],
        },
        on: { id: 'door.light.on', key: 'on', type: 'final' },
      },
    },
  },
};

describe('statechart model', () => {
  it('labels transitions with their event and guard, shortening XState names', () => {
    expect(eventLabel('xstate.after.quiet.session.running.busy')).toBe('after quiet');
    expect(eventLabel('xstate.done.actor.0.step.running')).toBe('done');
    expect(eventLabel('xstate.error.actor.*')).toBe('error');
    expect(eventLabel('xstate.done.actor.startRun')).toBe('done: startRun');
    expect(eventLabel('')).toBe('always');
    expect(transitionLabel({ eventType: 'output', guard: { type: 'promptSeen' } })).toBe(
      'output [promptSeen]',
    );
  });

  it('nests compound and parallel states and lays them out with ELK', async () => {
    const { graph, states } = toElkGraph(parallel);
    expect(states.get('door.lock')?.region).toBe(true);
    expect(states.get('door.lock.locked')?.initial).toBe(true);
    expect(states.get('door.lock.open')?.initial).toBe(false);
    expect(graph.edges?.map((e) => e.labels?.[0]?.text)).toEqual(['unlock [hasKey]', 'after glow']);
    const out = (await new ELK().layout(graph)) as Laid;
    const door = out.children?.[0];
    const lock = door?.children?.find((c) => c.id === 'door.lock');
    const locked = lock?.children?.find((c) => c.id === 'door.lock.locked');
    // Coordinates are the root's: a child lies inside its parent's box.
    expect(locked!.x!).toBeGreaterThanOrEqual(lock!.x!);
    expect(locked!.x! + locked!.width!).toBeLessThanOrEqual(lock!.x! + lock!.width!);
    expect(locked!.y!).toBeGreaterThan(lock!.y!);
  });

  it('lights every active state of a value, parallel regions included', () => {
    expect([...activeStateIds('door', { lock: 'open', light: 'off' })].sort()).toEqual([
      'door',
      'door.light',
      'door.light.off',
      'door.lock',
      'door.lock.open',
    ]);
    expect(valueText({ running: 'busy' })).toBe('running.busy');
    expect(valueText({ a: 'x', b: 'y' })).toBe('{a: x, b: y}');
  });

  it("lays out every one of Stator's own machines, edges and all", async () => {
    const stator = await createStator({ store: 'memory', rehydrate: false });
    try {
      const elk = new ELK();
      for (const m of stator.machines()) {
        const definition = m.definition as StateNodeJson;
        const { graph, states } = toElkGraph(definition);
        const out = (await elk.layout(graph)) as Laid & { edges?: unknown[] };
        expect(out.width, m.name).toBeGreaterThan(0);
        expect(states.size, m.name).toBeGreaterThan(1);
        expect(out.edges?.length, m.name).toBe(graph.edges?.length);
      }
    } finally {
      await stator.close();
    }
  });
});

describe('run model', () => {
  it('puts each step one layer below the deepest step it needs', () => {
    const l = layers([
      { id: 'a' },
      { id: 'b', needs: ['a'] },
      { id: 'c', needs: ['a'] },
      { id: 'd', needs: ['b', 'c'] },
      { id: 'e', needs: ['d', 'a'] },
    ]);
    expect(Object.fromEntries(l)).toEqual({ a: 0, b: 1, c: 1, d: 2, e: 3 });
  });

  it('survives a cycle and a chain of 10,000', () => {
    expect(
      layers([
        { id: 'x', needs: ['y'] },
        { id: 'y', needs: ['x'] },
      ]).size,
    ).toBe(2);
    const chain = Array.from({ length: 10_000 }, (_, i) => ({
      id: `s${i}`,
      needs: i === 0 ? [] : [`s${i - 1}`],
    }));
    expect(layers(chain).get('s9999')).toBe(9999);
  });

  it('reads the log text into step, stream and line, markup kept as text', () => {
    const lines = parseLogText('a stdout | hi\nb stderr | <script>x</script>\n[dropped 3 lines]\n');
    expect(lines.map(({ step, stream, text }) => ({ step, stream, text }))).toEqual([
      { step: 'a', stream: 'stdout', text: 'hi' },
      { step: 'b', stream: 'stderr', text: '<script>x</script>' },
      { step: undefined, stream: 'note', text: '[dropped 3 lines]' },
    ]);
  });
});

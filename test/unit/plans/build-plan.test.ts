/**
 * Plans of definitions: every error at once (schema, graph, input), parallel levels, the
 * critical path by estimate (history p50, else sleep or timeout, else 0), and a 10,000-step
 * DAG planned quickly.
 */
import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../../../src/workflow/index.ts';
import { buildPlan, median } from '../../../src/plans/index.ts';

describe('errors', () => {
  it('reports every schema error, not only the first', () => {
    const plan = buildPlan(
      {
        document: { id: 'w', steps: [{ id: 'a' }, { id: 'b', exec: 'ls' }, { id: 'c', run: '' }] },
      },
      {},
    );
    expect(plan.valid).toBe(false);
    expect(plan.errors.map((e) => e.path)).toEqual(
      expect.arrayContaining(['steps[0]', 'steps[1].exec', 'steps[2].run']),
    );
    expect(plan.levels).toEqual([]);
  });

  it('reports graph errors beside schema errors', () => {
    const plan = buildPlan(
      {
        document: {
          id: 'w',
          steps: [
            { id: 'a', exec: 'ls' },
            { id: 'b', noop: true, needs: 'zzz' },
          ],
        },
      },
      {},
    );
    expect(plan.errors.map((e) => e.path)).toEqual(['steps[0].exec', 'steps[1].needs[0]']);
  });

  it('reports every graph error (cycle and unknown needs)', () => {
    const plan = buildPlan(
      {
        document: {
          id: 'w',
          steps: [
            { id: 'a', noop: true, needs: 'b' },
            { id: 'b', noop: true, needs: 'a' },
            { id: 'c', noop: true, needs: 'zzz' },
          ],
        },
      },
      {},
    );
    expect(plan.valid).toBe(false);
    const text = plan.errors.map((e) => e.message).join('\n');
    expect(text).toMatch(/cycle/);
    expect(text).toMatch(/zzz/);
  });

  it('reports every input error, and still plans the graph', () => {
    const plan = buildPlan(
      {
        document: {
          id: 'w',
          inputs: { a: { type: 'string' }, b: { type: 'number' } },
          steps: [{ id: 's', noop: true }],
        },
      },
      { b: 'x' },
    );
    expect(plan.valid).toBe(false);
    expect(plan.errors.map((e) => e.path).sort()).toEqual(['input.a', 'input.b']);
    expect(plan.levels).toEqual([['s']]);
  });

  it('reports bad text as one error', () => {
    const plan = buildPlan({ document: '{"id": "w", "steps": [' }, {});
    expect(plan).toMatchObject({ valid: false, levels: [], findings: [] });
    expect(plan.errors).toHaveLength(1);
  });
});

describe('levels and critical path', () => {
  const def = parseWorkflow({
    id: 'w',
    steps: [
      { id: 'a', noop: true },
      { id: 'b', exec: ['x'], needs: 'a', timeout: '10s' },
      { id: 'c', sleep: '3s', needs: 'a' },
      { id: 'd', exec: ['y'], needs: ['b', 'c'] },
      { id: 'e', exec: ['z'], needs: 'c' },
    ],
  });

  it('groups steps into parallel levels', () => {
    expect(buildPlan({ definition: def }, {}).levels).toEqual([['a'], ['b', 'c'], ['d', 'e']]);
  });

  it('counts the timeout without history (and 0 for steps with neither)', () => {
    const plan = buildPlan({ definition: def }, {});
    expect(plan.criticalPath).toEqual(['a', 'b', 'd']);
    expect(plan.criticalPathMs).toBe(10_000);
    expect(plan.steps.find((s) => s.id === 'b')).toMatchObject({
      estimateMs: null,
      samples: 0,
      timeoutMs: 10_000,
    });
  });

  it('prefers the history p50 over the timeout', () => {
    const samples = new Map([
      ['b', [100, 200, 300]],
      ['e', [5000, 6000, 9000]],
    ]);
    const plan = buildPlan({ definition: def }, {}, samples);
    expect(plan.criticalPath).toEqual(['a', 'c', 'e']);
    expect(plan.criticalPathMs).toBe(3000 + 6000);
    expect(plan.steps.find((s) => s.id === 'b')).toMatchObject({ estimateMs: 200, samples: 3 });
  });

  it('takes the lower middle as the median', () => {
    expect(median([1, 2, 3, 4])).toBe(2);
    expect(median([7])).toBe(7);
    expect(median([])).toBeUndefined();
  });
});

describe('a 10,000-step DAG', () => {
  it('plans a checked definition in well under a second', () => {
    const steps = Array.from({ length: 10_000 }, (_, i) => ({
      id: `s${i}`,
      exec: ['echo', String(i)],
      timeout: '1s',
      ...(i >= 100 && { needs: [`s${i - 100}`, `s${i - 1 - (i % 7)}`] }),
    }));
    const definition = parseWorkflow({ id: 'big', steps });
    buildPlan({ definition }, {}); // warm up
    const start = performance.now();
    const plan = buildPlan({ definition }, {});
    const ms = performance.now() - start;
    expect(plan.valid).toBe(true);
    expect(plan.steps).toHaveLength(10_000);
    expect(plan.criticalPath.length).toBeGreaterThan(100);
    expect(ms).toBeLessThan(500); // the bench (bench/plan.ts) measures the real figure
  });
});

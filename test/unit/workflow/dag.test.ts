import { describe, expect, it } from 'vitest';
import { InvalidWorkflowError } from '../../../src/errors.ts';
import { checkDag, planDag } from '../../../src/workflow/dag.ts';
import { parseWorkflow } from '../../../src/workflow/parse.ts';
import type { WorkflowDefinition } from '../../../src/workflow/types.ts';

const node = (id: string, ...needs: string[]) => ({ id, needs });

function chain(n: number): WorkflowDefinition {
  const steps = Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    noop: true,
    ...(i > 0 && { needs: [`s${i - 1}`] }),
  }));
  return parseWorkflow({ id: 'chain', steps });
}

describe('checkDag', () => {
  it('accepts a valid graph', () => {
    expect(checkDag([node('a'), node('b', 'a'), node('c', 'a'), node('d', 'b', 'c')])).toEqual([]);
  });

  it('names the step and the missing need', () => {
    expect(checkDag([node('a'), node('b', 'a', 'ghost')])).toEqual([
      {
        code: 'unknown_need',
        path: 'steps[1].needs[1]',
        message: "step 'b' needs unknown step 'ghost'",
        stepId: 'b',
        need: 'ghost',
      },
    ]);
  });

  it('reports self dependencies and duplicate ids', () => {
    const issues = checkDag([node('a', 'a'), node('b'), node('b')]);
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ['duplicate_id', 'steps[2].id'],
      ['self_need', 'steps[0].needs[0]'],
    ]);
    expect(issues[0]?.message).toBe("duplicate step id 'b' (first at steps[1])");
  });

  it('reports a cycle with its path, starting at the earliest step', () => {
    const issues = checkDag([
      node('x'),
      node('a', 'b'),
      node('b', 'c'),
      node('c', 'a', 'x'),
      node('d', 'c'),
    ]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      code: 'cycle',
      stepId: 'a',
      path: 'steps[1].needs',
      cycle: ['a', 'b', 'c', 'a'],
    });
    expect(issues[0]?.message).toBe(
      'dependency cycle: a -> b -> c -> a (each step needs the next)',
    );
  });

  it('reports each disjoint cycle once', () => {
    const issues = checkDag([
      node('a', 'b'),
      node('b', 'a'),
      node('c', 'd'),
      node('d', 'c'),
      node('e', 'a', 'c'),
    ]);
    expect(issues.map((i) => i.cycle)).toEqual([
      ['a', 'b', 'a'],
      ['c', 'd', 'c'],
    ]);
  });

  it('handles a 10,000-step chain and a 10,000-step cycle without recursion', () => {
    const n = 10_000;
    const steps = Array.from({ length: n }, (_, i) =>
      node(`s${i}`, ...(i > 0 ? [`s${i - 1}`] : [])),
    );
    expect(checkDag(steps)).toEqual([]);
    steps[0] = node('s0', `s${n - 1}`);
    const [issue] = checkDag(steps);
    expect(issue?.cycle).toHaveLength(n + 1);
    expect(issue?.cycle?.slice(0, 3)).toEqual(['s0', `s${n - 1}`, `s${n - 2}`]);
  });
});

describe('planDag', () => {
  it('plans the diamond: levels, critical path by duration', () => {
    const def = parseWorkflow({
      id: 'diamond',
      steps: [
        { id: 'a', noop: true },
        { id: 'b', needs: 'a', sleep: '500ms' },
        { id: 'c', needs: 'a', sleep: '2s' },
        { id: 'd', needs: ['b', 'c'], noop: true },
      ],
    });
    expect(planDag(def)).toEqual({
      levels: [['a'], ['b', 'c'], ['d']],
      criticalPath: ['a', 'c', 'd'],
      criticalPathBy: 'duration',
      criticalPathCost: 2000,
      maxParallelism: 2,
    });
  });

  it('falls back to step counts when a duration is unknown, and accepts estimates', () => {
    const def = parseWorkflow({
      id: 'w',
      steps: [
        { id: 'a', run: 'true' },
        { id: 'b', run: 'true', timeout: '1s' },
        { id: 'c', needs: 'b', run: 'true', timeout: '1s' },
      ],
    });
    const plan = planDag(def);
    expect(plan).toMatchObject({
      criticalPathBy: 'steps',
      criticalPath: ['b', 'c'],
      criticalPathCost: 2,
    });
    const estimated = planDag(def, { durationOf: (s) => (s.id === 'a' ? 5000 : 100) });
    expect(estimated).toMatchObject({
      criticalPathBy: 'duration',
      criticalPath: ['a'],
      criticalPathCost: 5000,
    });
  });

  it('uses the workflow default timeout as the bound of exec and run steps', () => {
    const def = parseWorkflow({
      id: 'w',
      defaults: { timeout: '10s' },
      steps: [
        { id: 'a', exec: ['true'] },
        { id: 'b', needs: 'a', run: 'true', timeout: '1s' },
      ],
    });
    expect(planDag(def)).toMatchObject({ criticalPathBy: 'duration', criticalPathCost: 11_000 });
  });

  it('throws InvalidWorkflowError on an invalid graph', () => {
    const def = parseWorkflow({ id: 'w', steps: [{ id: 'a', noop: true }] });
    def.steps[0]!.needs = ['a'];
    expect(() => planDag(def)).toThrow(InvalidWorkflowError);
  });

  it('plans a 10,000-step chain and a 10,000-step fan-out well under a second', () => {
    const longDef = chain(10_000);
    const steps = [
      { id: 'root', noop: true },
      ...Array.from({ length: 10_000 }, (_, i) => ({ id: `w${i}`, needs: 'root', noop: true })),
      { id: 'join', needs: Array.from({ length: 10_000 }, (_, i) => `w${i}`), noop: true },
    ];
    const wideDef = parseWorkflow({ id: 'fan', steps });

    const started = performance.now();
    const long = planDag(longDef);
    const wide = planDag(wideDef);
    const elapsed = performance.now() - started;

    expect(long.levels).toHaveLength(10_000);
    expect(long.criticalPath).toHaveLength(10_000);
    expect(long.criticalPath.at(-1)).toBe('s9999');
    expect(wide.levels.map((l) => l.length)).toEqual([1, 10_000, 1]);
    expect(wide.maxParallelism).toBe(10_000);
    expect(wide.levels[1]).toHaveLength(10_000);
    expect(wide.criticalPath).toEqual(['root', 'w0', 'join']);
    // Both plans take a few ms; the bound leaves room for a loaded 2-core machine.
    expect(elapsed).toBeLessThan(1000);
  });
});

import { describe, expect, it } from 'vitest';
import {
  evaluateForEach,
  instanceStepId,
  parseInstanceId,
  parseWorkflow,
  renderArgv,
  stepEnvironment,
  type ConditionContext,
  type StepDefinition,
} from '../../../src/workflow/index.ts';
import { instanceId } from '../../../machines/fan-out.ts';

const ctx = (over: Partial<ConditionContext> = {}): ConditionContext => ({
  inputs: { hosts: ['a', 'b'], n: 3 },
  steps: { list: { status: 'succeeded', outputs: { xs: [{ name: 'x' }] } } },
  env: {},
  execution: { id: 'ex1', workflowId: 'w' },
  ...over,
});

const wf = (step: Record<string, unknown>, more: Record<string, unknown>[] = []) =>
  parseWorkflow({ id: 'w', steps: [...more, { id: 'each', ...step }] });
const eachOf = (def: ReturnType<typeof parseWorkflow>) => def.steps.at(-1)!;

describe('forEach', () => {
  it('resolves with the concurrency of the workflow unless the step sets one', () => {
    expect(eachOf(wf({ forEach: [1, 2], noop: true }))).toMatchObject({
      forEach: [1, 2],
      concurrency: 16,
    });
    const own = parseWorkflow({
      id: 'w',
      concurrency: 4,
      steps: [{ id: 'each', forEach: 'inputs.xs', concurrency: 50, noop: true }],
    });
    expect(own.steps[0]).toMatchObject({ forEach: 'inputs.xs', concurrency: 50 });
    expect(eachOf(wf({ noop: true }))).not.toHaveProperty('concurrency');
  });

  it('evaluates a CEL list over inputs and earlier outputs (integers become numbers)', () => {
    const step = (forEach: string | unknown[]) =>
      ({ ...eachOf(wf({ forEach: [], noop: true })), forEach }) as StepDefinition;
    expect(evaluateForEach(step('inputs.hosts'), ctx())).toEqual(['a', 'b']);
    expect(evaluateForEach(step('[1, 2, 3]'), ctx())).toEqual([1, 2, 3]);
    expect(evaluateForEach(step('inputs.hosts + ["c"]'), ctx())).toEqual(['a', 'b', 'c']);
    expect(evaluateForEach(step('steps.list.outputs.xs'), ctx())).toEqual([{ name: 'x' }]);
    expect(evaluateForEach(step('inputs.hosts.map(h, {"host": h})'), ctx())).toEqual([
      { host: 'a' },
      { host: 'b' },
    ]);
    expect(evaluateForEach(step(['lit']), ctx())).toEqual(['lit']);
  });

  it('gives a clear error for what is not a list to run', () => {
    const step = (forEach: string) =>
      ({ ...eachOf(wf({ forEach: [], noop: true })), forEach }) as StepDefinition;
    expect(String(evaluateForEach(step('inputs.n'), ctx()))).toMatch(
      'forEach: yielded number, not a list',
    );
    expect(String(evaluateForEach(step('inputs.missing'), ctx()))).toMatch(/^Error: forEach: /);
    const many = ctx({ inputs: { xs: Array.from({ length: 10_001 }, () => 0) } });
    expect(String(evaluateForEach(step('inputs.xs'), many))).toMatch(
      'forEach has 10001 items; at most 10000 are run',
    );
    const huge = ctx({ inputs: { xs: ['y'.repeat(65_535)] } });
    expect(String(evaluateForEach(step('inputs.xs'), huge))).toMatch(
      'forEach item 0 takes 65537 bytes as JSON; at most 65536 per item',
    );
    const total = ctx({ inputs: { xs: Array.from({ length: 20 }, () => 'z'.repeat(60_000)) } });
    expect(String(evaluateForEach(step('inputs.xs'), total))).toMatch(
      'forEach items take more than 1048576 bytes as JSON',
    );
  });

  it('is checked at registration: a list type, steps upstream, fields where they apply', () => {
    expect(() => wf({ forEach: '"text"', noop: true })).toThrow(/must yield a list, not string/);
    expect(() => wf({ forEach: 'inputs.', noop: true })).toThrow(/forEach: /);
    expect(() =>
      wf({ forEach: 'steps.a.outputs.xs', noop: true }, [{ id: 'a', noop: true }]),
    ).toThrow(/'a' is not a step that 'each' needs/);
    expect(() =>
      wf({ forEach: 'steps.a.outputs.xs', needs: ['a'], noop: true }, [{ id: 'a', noop: true }]),
    ).not.toThrow();
    expect(() => wf({ forEach: 42, noop: true })).toThrow(/CEL expression \(text\) or a list/);
    expect(() => wf({ forEach: [() => 1], noop: true })).toThrow();
    expect(() => wf({ concurrency: 3, noop: true })).toThrow(/only to forEach steps/);
    expect(() => wf({ exec: ['echo', '${{ item.name }}'] })).toThrow(/only set in a forEach/);
    expect(() =>
      wf({ forEach: [1], exec: ['echo', '${{ item.name }}', '${{ item_index }}'] }),
    ).not.toThrow();
  });

  it('names instances x[n], the same way in the machines and the workflow module', () => {
    expect(instanceStepId('deploy', 12)).toBe('deploy[12]');
    expect(instanceId('deploy', 12)).toBe('deploy[12]');
    expect(parseInstanceId('deploy[12]')).toEqual({ stepId: 'deploy', index: 12 });
    expect(parseInstanceId('deploy')).toBeUndefined();
  });

  it('hands the item to argv (one item each, JSON for non-strings) and to STATOR_ITEM', () => {
    const def = wf({ forEach: [], exec: ['x'] });
    const base = { inputs: {}, env: {}, executionId: 'e', workflowId: 'w', stepId: 'each[1]' };
    const item = { value: { name: 'a b', tags: ['t'], n: null }, index: 1 };
    expect(
      renderArgv(
        ['${{ item }}', '--name=${{ item.name }}', '${{ item.tags.0 }}', '${{ item_index }}'],
        {
          ...base,
          item,
        },
      ),
    ).toEqual(['{"name":"a b","tags":["t"],"n":null}', '--name=a b', 't', '1']);
    expect(() => renderArgv(['${{ item.nope }}'], { ...base, item })).toThrow(/has no 'nope'/);
    expect(() => renderArgv(['${{ item }}'], base)).toThrow(/only set in a forEach step/);
    const env = (value: unknown) =>
      stepEnvironment({
        def,
        step: def.steps[0]!,
        executionId: 'e',
        attempt: 1,
        inputs: {},
        item: { value, index: 4 },
      });
    expect(env('plain')).toMatchObject({ STATOR_ITEM: 'plain', STATOR_ITEM_INDEX: '4' });
    expect(env(7).STATOR_ITEM).toBe('7');
    expect(env(null).STATOR_ITEM).toBe('null');
    expect(env({ a: 1 }).STATOR_ITEM).toBe('{"a":1}');
  });

  it('gives later steps a forEach step’s outputs list as STEPS_<ID>_OUTPUTS', () => {
    const def = wf({ noop: true });
    const env = stepEnvironment({
      def,
      step: def.steps[0]!,
      executionId: 'e',
      attempt: 1,
      inputs: {},
      outputs: { fan: [{ k: 1 }, {}] as unknown as Record<string, unknown>, one: { k: 'v' } },
    });
    expect(env).toMatchObject({ STEPS_FAN_OUTPUTS: '[{"k":1},{}]', STEPS_ONE_K: 'v' });
    expect(env).not.toHaveProperty('STEPS_FAN_0');
  });
});

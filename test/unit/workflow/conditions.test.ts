import { describe, expect, it } from 'vitest';
import {
  conditionSteps,
  evaluateCondition,
  parseWorkflow,
  type ConditionContext,
} from '../../../src/workflow/index.ts';

const ctx = (over: Partial<ConditionContext> = {}): ConditionContext => ({
  inputs: { branch: 'main', n: 3 },
  steps: { build: { status: 'succeeded', outputs: { version: '1.2.3' } } },
  env: { STAGE: 'prod' },
  execution: { id: 'ex1', workflowId: 'w' },
  ...over,
});

describe('step conditions (if:)', () => {
  it('evaluate CEL over inputs, steps, env and execution', () => {
    expect(evaluateCondition('inputs.branch == "main" && inputs.n > 2', ctx())).toBe(true);
    expect(evaluateCondition('steps.build.outputs.version.startsWith("1.")', ctx())).toBe(true);
    expect(evaluateCondition('env.STAGE == "dev" || execution.id == "other"', ctx())).toBe(false);
    expect(evaluateCondition('steps["build"].status == "succeeded"', ctx())).toBe(true);
  });

  it('give an error, not a guess, for what cannot be evaluated', () => {
    expect(evaluateCondition('inputs.missing == 1', ctx())).toBeInstanceOf(Error);
    expect(String(evaluateCondition('inputs.branch', ctx()))).toMatch(/not a boolean/);
  });

  it('name the steps they read, in either syntax', () => {
    expect(conditionSteps('steps.a.status == "x" && steps["b-c"].outputs.k && steps.a.x')).toEqual([
      'a',
      'b-c',
    ]);
  });

  it('are type-checked at registration, with the field and the reason', () => {
    const wf = (cond: string) =>
      parseWorkflow({
        id: 'w',
        steps: [
          { id: 'a', run: 'true' },
          { id: 'b', needs: ['a'], run: 'true', if: cond },
        ],
      });
    expect(() => wf('inputs.x == "y"')).not.toThrow();
    expect(() => wf('1 + "a"')).toThrow(/steps\[1\]\.if.*no such overload/s);
    expect(() => wf('user.admin')).toThrow(/Unknown variable: user/);
    expect(() => wf('"text"')).toThrow(/must be true or false, not string/);
    expect(() => wf('steps.nope.status == "succeeded"')).toThrow(/no step 'nope'/);
    expect(() => wf('inputs.x ==')).toThrow(/steps\[1\]\.if/);
  });

  it('needs takes {steps, when}; when is success, failure or always', () => {
    const def = parseWorkflow({
      id: 'w',
      steps: [
        { id: 'a', run: 'true' },
        { id: 'b', run: 'true', needs: { steps: ['a'], when: 'always' } },
        { id: 'c', run: 'true', needs: { steps: ['a'] } },
      ],
    });
    expect(def.steps[1]).toMatchObject({ needs: ['a'], when: 'always' });
    expect(def.steps[2]).toMatchObject({ needs: ['a'] });
    expect(def.steps[2]).not.toHaveProperty('when');
    expect(() =>
      parseWorkflow({
        id: 'w',
        steps: [{ id: 'a', run: 'true', needs: { steps: [], when: 'x' } }],
      }),
    ).toThrow(/needs/);
  });
});

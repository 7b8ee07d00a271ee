import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../../../src/workflow/parse.ts';
import { inputEnvName, stepEnvironment, valueToText } from '../../../src/workflow/step-env.ts';

const def = parseWorkflow({
  id: 'envs',
  env: { SHARED: 'workflow', ONLY_WF: 'w' },
  steps: [{ id: 'build', run: 'echo "$INPUT_NAME"', env: { SHARED: 'step', PORT: 8080 } }],
});

describe('stepEnvironment', () => {
  it('layers workflow env, step env, inputs and STATOR_* variables', () => {
    const env = stepEnvironment({
      def,
      step: def.steps[0]!,
      executionId: 'exec-1',
      attempt: 2,
      inputs: {
        name: "O'Brien; rm -rf /",
        'dry-run': true,
        n: 3,
        obj: { a: [1] },
        none: null,
        skip: undefined,
      },
    });
    expect(env).toEqual({
      SHARED: 'step',
      ONLY_WF: 'w',
      PORT: '8080',
      INPUT_NAME: "O'Brien; rm -rf /",
      INPUT_DRY_RUN: 'true',
      INPUT_N: '3',
      INPUT_OBJ: '{"a":[1]}',
      INPUT_NONE: '',
      STATOR_WORKFLOW_ID: 'envs',
      STATOR_EXECUTION_ID: 'exec-1',
      STATOR_STEP_ID: 'build',
      STATOR_ATTEMPT: '2',
    });
    // The script text is untouched: inputs never get pasted into it.
    expect(def.steps[0]).toMatchObject({ run: 'echo "$INPUT_NAME"' });
  });

  it('lets STATOR_* win over user env', () => {
    const d = parseWorkflow({
      id: 'w',
      env: { STATOR_STEP_ID: 'spoof' },
      steps: [{ id: 'a', noop: true }],
    });
    const env = stepEnvironment({
      def: d,
      step: d.steps[0]!,
      executionId: 'e',
      attempt: 1,
      inputs: {},
    });
    expect(env.STATOR_STEP_ID).toBe('a');
  });

  it('names and encodes input variables', () => {
    expect(inputEnvName('name')).toBe('INPUT_NAME');
    expect(inputEnvName('my-input.v2')).toBe('INPUT_MY_INPUT_V2');
    expect(valueToText([1, 'a'])).toBe('[1,"a"]');
    expect(valueToText(false)).toBe('false');
  });
});

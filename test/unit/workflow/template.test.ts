import { describe, expect, it } from 'vitest';
import { InvalidWorkflowError, NonRetryableError } from '../../../src/errors.ts';
import { parseWorkflow } from '../../../src/workflow/parse.ts';
import {
  checkTemplates,
  renderArgv,
  renderTemplate,
  stepTemplateContext,
  templateReferences,
} from '../../../src/workflow/template.ts';
import type { ExecStep } from '../../../src/workflow/types.ts';

const ctx = {
  inputs: { name: 'two words; $(rm -rf /)', n: 3, obj: { a: 1 }, nothing: null },
  env: { REGION: 'eu', INPUT_NAME: 'two words' },
  executionId: 'e-1',
  workflowId: 'wf',
  stepId: 'st',
};

describe('renderTemplate / renderArgv', () => {
  it('renders each item to exactly one argv item', () => {
    const argv = [
      'echo',
      '${{ inputs.name }}',
      '--n=${{inputs.n}}',
      '${{ inputs.obj }}',
      'x${{ inputs.nothing }}y',
    ];
    expect(renderArgv(argv, ctx)).toEqual([
      'echo',
      'two words; $(rm -rf /)',
      '--n=3',
      '{"a":1}',
      'xy',
    ]);
  });

  it('renders env, execution, workflow and step references', () => {
    expect(
      renderTemplate(
        '${{ env.REGION }}/${{ execution.id }}/${{ workflow.id }}/${{ step.id }}',
        ctx,
      ),
    ).toBe('eu/e-1/wf/st');
  });

  it('does not re-expand substituted values, and $${{ escapes', () => {
    const c = { ...ctx, inputs: { x: '${{ env.REGION }}' } };
    expect(renderTemplate('${{ inputs.x }}', c)).toBe('${{ env.REGION }}');
    expect(renderTemplate('$${{ inputs.x }}', c)).toBe('${{ inputs.x }}');
    expect(renderTemplate('plain $HOME {{x}}', c)).toBe('plain $HOME {{x}}');
  });

  it('throws NonRetryableError for a missing value', () => {
    expect(() => renderTemplate('${{ inputs.missing }}', ctx)).toThrow(NonRetryableError);
    expect(() => renderTemplate('${{ env.MISSING }}', ctx)).toThrow("env 'MISSING' is not set");
  });

  it('builds the context of a step attempt from its environment', () => {
    const def = parseWorkflow({
      id: 'hello',
      inputs: { who: { default: 'you' } },
      steps: [
        {
          id: 'greet',
          exec: ['echo', '${{ inputs.who }}', '${{ env.INPUT_WHO }}', '${{ env.STATOR_ATTEMPT }}'],
        },
      ],
    });
    const step = def.steps[0] as ExecStep;
    const c = stepTemplateContext({
      def,
      step,
      executionId: 'x',
      attempt: 2,
      inputs: { who: 'me' },
    });
    expect(renderArgv(step.exec, c)).toEqual(['echo', 'me', 'me', '2']);
  });
});

describe('template checks at registration', () => {
  it('lists references and unsupported expressions', () => {
    expect(templateReferences('a ${{ inputs.x }} ${{ 1 + 1 }} $${{ inputs.y }}')).toEqual({
      refs: [{ kind: 'inputs', name: 'x', text: 'inputs.x' }],
      invalid: ['1 + 1'],
    });
  });

  it('rejects unknown inputs when inputs are declared, and unknown env names', () => {
    const register = (inputs: unknown) => () =>
      parseWorkflow({
        id: 'w',
        ...(inputs !== undefined && { inputs }),
        env: { WF: '1' },
        steps: [
          {
            id: 'a',
            env: { ST: '1' },
            exec: [
              'echo',
              '${{ inputs.nam }}',
              '${{ env.WF }}${{ env.ST }}${{ env.STATOR_STEP_ID }}',
              '${{ env.HOME }}',
            ],
          },
        ],
      });
    expect(register({ name: {} })).toThrow(InvalidWorkflowError);
    expect(register({ name: {} })).toThrow(
      "steps[0].exec[1]: unknown input 'nam' (declared: name)",
    );
    expect(register(undefined)).toThrow("steps[0].exec[3]: env 'HOME' is not set");
  });

  it('accepts unknown input names when the workflow declares none', () => {
    const def = parseWorkflow({
      id: 'w',
      steps: [{ id: 'a', exec: ['echo', '${{ inputs.anything }}', '${{ env.INPUT_ANYTHING }}'] }],
    });
    expect(checkTemplates(def)).toEqual([]);
  });

  it('rejects unsupported expressions and never looks into run scripts', () => {
    expect(() =>
      parseWorkflow({ id: 'w', steps: [{ id: 'a', exec: ['echo', '${{ secrets.X }}'] }] }),
    ).toThrow(/unsupported expression/);
    expect(() =>
      parseWorkflow({ id: 'w', steps: [{ id: 'a', run: 'echo ${{ inputs.x }}' }] }),
    ).not.toThrow();
  });
});

/**
 * The `approval` step kind as written: it resolves with its timeout in ms and approvers without
 * duplicates; a missing timeout or message, an empty approver list, a step `timeout`, `retry`
 * or `cwd` are refused with the field named; its message is template-checked like argv items;
 * the JSON Schema describes it. A workflow-level `approval` gate becomes a first step.
 */
import { describe, expect, it } from 'vitest';
import { InvalidWorkflowError } from '../../../src/errors.ts';
import { parseWorkflow } from '../../../src/workflow/parse.ts';
import { workflowJsonSchema } from '../../../src/workflow/json-schema.ts';

/** The issues a refused definition reports. */
function issues(input: unknown): Array<{ path: string; message: string }> {
  try {
    parseWorkflow(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidWorkflowError);
    const details = (err as InvalidWorkflowError).details as {
      issues: Array<{ path: string; message: string }>;
    };
    return details.issues;
  }
  throw new Error('expected the definition to be rejected');
}

const wf = (...steps: unknown[]) => ({ id: 'w', inputs: { v: {} }, steps });

describe('approval steps: schema', () => {
  it('resolves message, approvers (deduplicated) and timeout', () => {
    const def = parseWorkflow(
      wf({
        id: 'g',
        approval: {
          message: 'ship ${{ inputs.v }}?',
          approvers: ['ann', 'ann', 'ben'],
          timeout: '2h',
        },
      }),
    );
    expect(def.steps[0]).toMatchObject({
      kind: 'approval',
      approval: {
        message: 'ship ${{ inputs.v }}?',
        approvers: ['ann', 'ben'],
        timeoutMs: 7_200_000,
      },
    });
  });

  it.each([
    ['no timeout', { approval: { message: 'm' } }, 'steps[0].approval.timeout'],
    ['no message', { approval: { timeout: '1m' } }, 'steps[0].approval.message'],
    [
      'no approvers',
      { approval: { message: 'm', timeout: '1m', approvers: [] } },
      'steps[0].approval.approvers',
    ],
    [
      'a step timeout',
      { approval: { message: 'm', timeout: '1m' }, timeout: '5m' },
      'steps[0].timeout',
    ],
    [
      'a retry',
      { approval: { message: 'm', timeout: '1m' }, retry: { attempts: 3 } },
      'steps[0].retry',
    ],
    ['a cwd', { approval: { message: 'm', timeout: '1m' }, cwd: '/tmp' }, 'steps[0].cwd'],
    [
      'an unknown template',
      { approval: { message: '${{ inputs.nope }}', timeout: '1m' } },
      'steps[0].approval.message',
    ],
  ])('refuses %s', (_name, step, path) => {
    const found = issues(wf({ id: 'g', ...step }));
    expect(found.map((i) => i.path)).toContain(path);
  });

  it('a workflow-level gate becomes a first step every root step needs', () => {
    const def = parseWorkflow({
      id: 'w',
      approval: { message: 'start?', approvers: ['ann'], timeout: '1d' },
      steps: [
        { id: 'a', run: 'true' },
        { id: 'b', needs: ['a'], run: 'true' },
        { id: 'c', run: 'true' },
      ],
    });
    expect(def.steps.map((s) => [s.id, s.needs])).toEqual([
      ['approval', []],
      ['a', ['approval']],
      ['b', ['a']],
      ['c', ['approval']],
    ]);
    expect(def.steps[0]).toMatchObject({
      kind: 'approval',
      approval: { message: 'start?', approvers: ['ann'], timeoutMs: 86_400_000 },
    });
    const clash = issues({
      id: 'w',
      approval: { message: 'm', timeout: '1m' },
      steps: [{ id: 'approval', run: 'true' }],
    });
    expect(clash).toEqual(
      expect.arrayContaining([
        {
          path: 'steps[0].id',
          message: "step id 'approval' is taken by the workflow's approval gate (step 'approval')",
        },
      ]),
    );
  });

  it('is in the JSON Schema with descriptions', () => {
    const text = JSON.stringify(workflowJsonSchema());
    expect(text).toContain('"required":["approval"]');
    expect(text).toContain('awaiting_approval until approved or rejected');
  });
});

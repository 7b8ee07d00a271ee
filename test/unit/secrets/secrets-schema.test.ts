import { describe, expect, it } from 'vitest';
import { InvalidWorkflowError } from '../../../src/errors.ts';
import { MAX_SECRETS, validateWorkflow } from '../../../src/workflow/index.ts';

const base = { id: 'w', env: { W: 'x' }, steps: [{ id: 'a', run: 'true', env: { B: '1' } }] };

function issuesOf(secrets: unknown): string[] {
  try {
    validateWorkflow({ ...base, secrets });
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidWorkflowError);
    const details = (err as InvalidWorkflowError).details as {
      issues: Array<{ path: string; message: string }>;
    };
    return details.issues.map((i) => `${i.path}: ${i.message}`);
  }
  return [];
}

describe('workflow secrets: schema', () => {
  it('takes {env: VAR} and {file: PATH} sources by name', () => {
    const def = validateWorkflow({ ...base, secrets: { T: { env: 'X' }, K: { file: 'k.pem' } } });
    expect(def.secrets).toEqual({ T: { env: 'X' }, K: { file: 'k.pem' } });
    expect(validateWorkflow(base).secrets).toBeUndefined();
  });

  it('refuses malformed sources and names, naming the field', () => {
    expect(issuesOf({ T: { foo: 1 } })).toEqual([
      'secrets.T: a secret is {env: VARIABLE} or {file: PATH}',
    ]);
    expect(issuesOf({ T: { env: 'X', file: 'y' } })).toEqual([
      'secrets.T: a secret is {env: VARIABLE} or {file: PATH}',
    ]);
    expect(issuesOf({ T: 'plain value' })).toEqual([
      'secrets.T: a secret is {env: VARIABLE} or {file: PATH}',
    ]);
    expect(issuesOf({ 'a-b': { env: 'X' } })).toEqual([
      'secrets["a-b"]: secret names are variable names (letters, digits and _)',
    ]);
  });

  it("never reads Stator's own configuration and never shadows STATOR_* or INPUT_*", () => {
    expect(issuesOf({ T: { env: 'STATOR_API_TOKEN' } })).toEqual([
      "secrets.T.env: Stator's own configuration (STATOR_*) is never a step's secret",
    ]);
    expect(issuesOf({ STATOR_STEP_ID: { env: 'X' } })).toEqual([
      'secrets.STATOR_STEP_ID: secret names cannot start with STATOR_',
    ]);
    expect(issuesOf({ INPUT_X: { env: 'X' } })).toEqual([
      'secrets.INPUT_X: secret names cannot start with INPUT_',
    ]);
  });

  it('refuses a name the workflow or a step also sets in env', () => {
    expect(issuesOf({ W: { env: 'X' }, B: { env: 'Y' } })).toEqual([
      "secrets.W: also set by the workflow's env",
      "secrets.B: also set by the env of step 'a'",
    ]);
  });

  it(`takes at most ${MAX_SECRETS} secrets`, () => {
    const many = Object.fromEntries(
      Array.from({ length: MAX_SECRETS + 1 }, (_, i) => [`S${i}`, { env: 'X' }]),
    );
    expect(issuesOf(many)).toEqual([`secrets: at most ${MAX_SECRETS} secrets`]);
  });
});

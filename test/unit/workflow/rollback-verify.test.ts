/**
 * `rollback:` on a step and workflow-level `verify:`: how they resolve, what is refused, and
 * that the JSON Schema of workflow files describes them.
 */
import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../../../src/workflow/index.ts';
import { workflowJsonSchema } from '../../../src/workflow/json-schema.ts';

describe('rollback and verify', () => {
  it('resolves a rollback as a step body of its own (id <id>:rollback, no needs, own retry)', () => {
    const def = parseWorkflow({
      id: 'wf',
      defaults: { retry: 2 },
      steps: [
        {
          id: 'deploy',
          run: 'deploy.sh',
          rollback: { exec: ['undo', '${{ steps.deploy.outputs.v }}'], timeout: '5s', retry: 3 },
        },
        { id: 'notify', needs: 'deploy', http: { url: 'http://127.0.0.1:1/x' } },
      ],
    });
    expect(def.steps[0]!.rollback).toMatchObject({
      id: 'deploy:rollback',
      kind: 'exec',
      exec: ['undo', '${{ steps.deploy.outputs.v }}'],
      needs: [],
      timeoutMs: 5000,
      retry: { attempts: 3 },
    });
    expect(def.steps[1]!.rollback).toBeUndefined();
  });

  it('refuses a rollback with an id, needs, forEach, an approval, or two kinds', () => {
    for (const rollback of [
      { id: 'x', run: 'a' },
      { run: 'a', needs: ['b'] },
      { run: 'a', forEach: [1] },
      { approval: { message: 'ok?' } },
      { run: 'a', exec: ['b'] },
      {},
    ]) {
      expect(() =>
        parseWorkflow({ id: 'wf', steps: [{ id: 'a', run: 'true', rollback }] }),
      ).toThrow();
    }
  });

  it('verify steps need every sink of the other steps and are flagged verify', () => {
    const def = parseWorkflow({
      id: 'wf',
      steps: [
        { id: 'a', run: 'true' },
        { id: 'b', needs: 'a', run: 'true' },
        { id: 'c', run: 'true' },
      ],
      verify: [
        { id: 'health', http: { url: 'http://127.0.0.1:1/health' } },
        { id: 'smoke', needs: 'health', run: 'true' },
      ],
    });
    const byId = new Map(def.steps.map((s) => [s.id, s]));
    expect(byId.get('health')).toMatchObject({ verify: true, needs: ['b', 'c'] });
    expect(byId.get('smoke')).toMatchObject({ verify: true, needs: ['b', 'c', 'health'] });
    expect(byId.get('a')!.verify).toBeUndefined();
  });

  it('refuses a verify step whose id is taken by a step', () => {
    expect(() =>
      parseWorkflow({
        id: 'wf',
        steps: [{ id: 'a', run: 'true' }],
        verify: [{ id: 'a', run: 'true' }],
      }),
    ).toThrow(/a/);
  });

  it('the JSON Schema describes rollback and verify', () => {
    const schema = JSON.stringify(workflowJsonSchema());
    const root = workflowJsonSchema() as {
      properties: Record<string, { description?: string; items?: unknown }>;
    };
    expect(root.properties.verify!.description).toMatch(/after every step has succeeded/);
    expect(schema).toContain('What undoes this step');
    const step = (root.properties.steps!.items ?? {}) as {
      properties: Record<string, { properties?: Record<string, unknown> }>;
    };
    expect(Object.keys(step.properties.rollback!.properties!)).toEqual(
      expect.arrayContaining(['exec', 'run', 'http', 'timeout', 'retry']),
    );
    expect(step.properties.rollback!.properties).not.toHaveProperty('id');
  });
});

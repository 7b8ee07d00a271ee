/**
 * The call step kinds as written: `http`, `nats` and `workflow` resolve with their defaults;
 * bad URLs, methods, statuses, subjects and names are refused with the field named; templates
 * in their fields are checked like exec argv items; `renderJson` keeps types of whole references.
 */
import { describe, expect, it } from 'vitest';
import { InvalidWorkflowError } from '../../../src/errors.ts';
import { parseWorkflow } from '../../../src/workflow/parse.ts';
import { renderJson } from '../../../src/workflow/template.ts';
import { workflowJsonSchema } from '../../../src/workflow/json-schema.ts';

function issuesOf(input: unknown): Array<{ path: string; message: string }> {
  try {
    parseWorkflow(input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidWorkflowError);
    return (
      (err as InvalidWorkflowError).details as { issues: Array<{ path: string; message: string }> }
    ).issues;
  }
  throw new Error('expected the definition to be rejected');
}

const wf = (...steps: unknown[]) => ({ id: 'w', steps });

describe('call step kinds: resolution', () => {
  it('resolves http, nats and workflow steps with their defaults', () => {
    const def = parseWorkflow(
      wf(
        { id: 'h', http: { url: 'http://127.0.0.1:1/x' } },
        {
          id: 'h2',
          http: {
            method: 'post',
            url: 'https://example.test/${{ inputs.path }}',
            headers: { Authorization: 'Bearer ${{ env.TOKEN }}' },
            body: { a: 1, b: ['${{ inputs.path }}'] },
            timeout: '2s',
            expect: [200, '3xx', '400-404'],
            maxRedirects: 0,
          },
          env: { TOKEN: 't' },
        },
        { id: 'n', nats: { subject: 'svc.ping' } },
        {
          id: 'n2',
          nats: { subject: 'svc.${{ inputs.path }}', payload: 'x', request: false, timeout: 250 },
        },
        { id: 'c', workflow: { name: 'child', inputs: { n: 1 } } },
      ),
    );
    expect(def.steps[0]).toMatchObject({
      kind: 'http',
      http: { method: 'GET', headers: {}, expect: [[200, 299]], maxRedirects: 5 },
    });
    expect(def.steps[1]).toMatchObject({
      kind: 'http',
      http: {
        method: 'POST',
        timeoutMs: 2000,
        expect: [
          [200, 200],
          [300, 399],
          [400, 404],
        ],
        maxRedirects: 0,
        body: { a: 1, b: ['${{ inputs.path }}'] },
      },
    });
    expect(def.steps[2]).toMatchObject({
      kind: 'nats',
      nats: { subject: 'svc.ping', request: true, timeoutMs: 5000 },
    });
    expect(def.steps[3]).toMatchObject({ nats: { request: false, timeoutMs: 250, payload: 'x' } });
    expect(def.steps[4]).toMatchObject({
      kind: 'workflow',
      workflow: { name: 'child', inputs: { n: 1 } },
    });
  });

  it('lists the new kinds in the JSON Schema', () => {
    const text = JSON.stringify(workflowJsonSchema());
    for (const kind of ['http', 'nats', 'workflow'])
      expect(text).toContain(`"required":["${kind}"]`);
    expect(text).toContain('maxRedirects');
  });
});

describe('call step kinds: refused definitions', () => {
  it.each([
    ['a URL that is not one', { http: { url: 'http://exa mple.test:99999/' } }, /not a valid URL/],
    ['a non-http scheme', { http: { url: 'file:///etc/passwd' } }, /http:\/\/ or https:\/\//],
    [
      'an unknown method',
      { http: { url: 'http://x.test', method: 'BREW' } },
      /method must be one of/,
    ],
    ['a bad status', { http: { url: 'http://x.test', expect: 'ok' } }, /a status is a number/],
    ['a status out of range', { http: { url: 'http://x.test', expect: 700 } }, /599/],
    [
      'a bad header name',
      { http: { url: 'http://x.test', headers: { 'a b': 'x' } } },
      /HTTP tokens/,
    ],
    ['too many redirects', { http: { url: 'http://x.test', maxRedirects: 50 } }, /20/],
    ['a body on a GET', { http: { url: 'http://x.test', body: 'x' } }, /GET request has no body/],
    ['an unknown http field', { http: { url: 'http://x.test', retries: 3 } }, /retries/],
    ['a wildcard subject', { nats: { subject: 'svc.*' } }, /without spaces or wildcards/],
    ['a workflow name that is no id', { workflow: { name: 'a b' } }, /workflow id/],
    ['two kinds', { http: { url: 'http://x.test' }, nats: { subject: 'a' } }, /exactly one of/],
    ['cwd on a call step', { http: { url: 'http://x.test' }, cwd: '/tmp' }, /cwd applies only/],
  ])('%s', (_name, fields, message) => {
    const issues = issuesOf(wf({ id: 's', ...fields }));
    expect(issues.map((i) => `${i.path}: ${i.message}`).join('\n')).toMatch(message);
  });

  it('checks templates in every call field like argv items', () => {
    const issues = issuesOf({
      id: 'w',
      inputs: { a: { type: 'string' } },
      steps: [
        { id: 'early', noop: true },
        {
          id: 'h',
          http: {
            method: 'POST',
            url: 'http://x.test/${{ inputs.nope }}',
            body: { k: '${{ steps.late.outputs.v }}' },
          },
        },
        { id: 'n', nats: { subject: 'a.${{ env.UNSET }}' } },
        { id: 'c', workflow: { name: 'child', inputs: { x: '${{ bogus }}' } } },
        { id: 'late', needs: ['early'], noop: true },
      ],
    });
    const text = issues.map((i) => `${i.path}: ${i.message}`).join('\n');
    expect(text).toMatch(/steps\[1\]\.http\.url: unknown input 'nope'/);
    expect(text).toMatch(
      /steps\[1\]\.http\.body\.k: steps\.late: 'late' is not a step that 'h' needs/,
    );
    expect(text).toMatch(/steps\[2\]\.nats\.subject: env 'UNSET' is not set/);
    expect(text).toMatch(/steps\[3\]\.workflow\.inputs\.x: unsupported expression/);
  });
});

describe('renderJson', () => {
  const ctx = {
    inputs: { n: 3, s: 'x' },
    env: { E: 'e' },
    executionId: 'ex1',
    workflowId: 'w',
    stepId: 's',
    outputs: { a: { list: [1, 2], v: '1.0' } },
  };
  it('keeps the type of a whole reference and renders the rest as text', () => {
    expect(
      renderJson(
        {
          n: '${{ inputs.n }}',
          list: '${{ steps.a.outputs.list }}',
          text: 'v=${{ steps.a.outputs.v }} n=${{ inputs.n }}',
          nested: ['${{ env.E }}', 7, null, { id: '${{ execution.id }}' }],
        },
        ctx,
      ),
    ).toEqual({
      n: 3,
      list: [1, 2],
      text: 'v=1.0 n=3',
      nested: ['e', 7, null, { id: 'ex1' }],
    });
  });
});

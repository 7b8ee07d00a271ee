import { describe, expect, it } from 'vitest';
import { InvalidWorkflowError } from '../../../src/errors.ts';
import { parseWorkflow } from '../../../src/workflow/parse.ts';
import { DEFAULT_RETRY, workflowSchema } from '../../../src/workflow/schema.ts';
import type { WorkflowDefinition } from '../../../src/workflow/types.ts';

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

const wf = (steps: unknown[], extra: Record<string, unknown> = {}) => ({
  id: 'w',
  steps,
  ...extra,
});

describe('workflow schema: resolution', () => {
  it('fills defaults and converts durations', () => {
    const def = parseWorkflow(
      wf([
        { id: 'a', exec: ['echo', 'hi'] },
        { id: 'b', needs: 'a', run: 'echo b', timeout: '5s', env: { N: 1, B: true, S: 'x' } },
        { id: 'c', needs: ['a', 'b', 'a'], sleep: '1m30s', cwd: '/tmp', continueOnError: true },
        { id: 'd', noop: null },
        {
          id: 'e',
          noop: true,
          retry: { attempts: 3, backoff: '100ms', factor: 3, max: '2s', jitter: 0.5 },
        },
        { id: 'f', noop: {}, retry: 4 },
      ]),
    );
    const expected: WorkflowDefinition = {
      id: 'w',
      env: {},
      concurrency: 16,
      steps: [
        {
          id: 'a',
          kind: 'exec',
          exec: ['echo', 'hi'],
          needs: [],
          retry: { ...DEFAULT_RETRY },
          env: {},
          continueOnError: false,
        },
        {
          id: 'b',
          kind: 'run',
          run: 'echo b',
          shell: 'sh',
          needs: ['a'],
          timeoutMs: 5000,
          retry: { ...DEFAULT_RETRY },
          env: { N: '1', B: 'true', S: 'x' },
          continueOnError: false,
        },
        {
          id: 'c',
          kind: 'sleep',
          sleepMs: 90_000,
          needs: ['a', 'b'],
          retry: { ...DEFAULT_RETRY },
          env: {},
          cwd: '/tmp',
          continueOnError: true,
        },
        {
          id: 'd',
          kind: 'noop',
          needs: [],
          retry: { ...DEFAULT_RETRY },
          env: {},
          continueOnError: false,
        },
        {
          id: 'e',
          kind: 'noop',
          needs: [],
          retry: { attempts: 3, backoffMs: 100, factor: 3, maxMs: 2000, jitter: 0.5 },
          env: {},
          continueOnError: false,
        },
        {
          id: 'f',
          kind: 'noop',
          needs: [],
          retry: { ...DEFAULT_RETRY, attempts: 4 },
          env: {},
          continueOnError: false,
        },
      ],
    };
    expect(def).toEqual(expected);
    expect(DEFAULT_RETRY).toEqual({
      attempts: 1,
      backoffMs: 1000,
      factor: 2,
      maxMs: 300_000,
      jitter: 0,
    });
  });

  it('resolves workflow fields, inputs and defaults', () => {
    const def = parseWorkflow({
      id: 'full',
      name: 'Full',
      description: 'all fields',
      inputs: {
        name: { default: 'world' },
        count: { type: 'number', description: 'how many' },
        flag: { type: 'boolean', required: false },
      },
      env: { REGION: 'eu' },
      timeout: '1h',
      concurrency: 4,
      defaults: { timeout: '30s', retry: { attempts: 2, backoff: '50ms' } },
      triggers: [{ nats: { subject: 'orders.created', queue: 'workers' } }],
      steps: [
        { id: 'a', run: 'true', shell: 'bash' },
        { id: 'b', run: 'true', retry: { factor: 5 } },
      ],
    });
    expect(def.inputs).toEqual({
      name: { default: 'world', required: false },
      count: { type: 'number', description: 'how many', required: true },
      flag: { type: 'boolean', required: false },
    });
    expect(def).toMatchObject({
      name: 'Full',
      description: 'all fields',
      env: { REGION: 'eu' },
      timeoutMs: 3_600_000,
      concurrency: 4,
      defaultTimeoutMs: 30_000,
      triggers: [{ kind: 'nats', subject: 'orders.created', queue: 'workers' }],
    });
    const [a, b] = def.steps;
    expect(a).toMatchObject({
      kind: 'run',
      shell: 'bash',
      retry: { attempts: 2, backoffMs: 50, factor: 2 },
    });
    expect(a?.timeoutMs).toBeUndefined();
    expect(b?.retry).toEqual({ attempts: 2, backoffMs: 50, factor: 5, maxMs: 300_000, jitter: 0 });
  });

  it('has the WorkflowDefinition output type', () => {
    const out: WorkflowDefinition = workflowSchema.parse(wf([{ id: 'a', noop: true }]));
    expect(out.steps[0]?.kind).toBe('noop');
  });
});

describe('workflow schema: rejections', () => {
  it('rejects unknown fields at every level, with a hint', () => {
    const issues = issuesOf({
      id: 'w',
      stepz: [],
      steps: [{ id: 'a', run: 'x', nedds: ['b'], retry: { attempts: 2, tries: 3 } }],
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'stepz', message: "unknown field (did you mean 'steps'?)" },
        { path: 'steps[0].nedds', message: "unknown field (did you mean 'needs'?)" },
        expect.objectContaining({ path: 'steps[0].retry.tries' }),
      ]),
    );
  });

  it('requires exactly one step kind, naming the step', () => {
    const unknownKind = issuesOf(wf([{ id: 'x', docker: 'alpine' }]));
    expect(unknownKind).toEqual(
      expect.arrayContaining([
        {
          path: 'steps[0]',
          message:
            "step 'x' must have exactly one of exec, run, sleep, noop, http, nats, workflow, approval",
        },
        { path: 'steps[0].docker', message: 'unknown field' },
      ]),
    );
    const two = issuesOf(wf([{ id: 'y', exec: ['a'], run: 'b' }]));
    expect(two[0]?.message).toBe(
      "step 'y' must have exactly one of exec, run, sleep, noop, http, nats, workflow, approval (got exec, run)",
    );
    const none = issuesOf(wf([{ id: 'z' }]));
    expect(none[0]?.message).toMatch(/step 'z' must have exactly one of/);
  });

  it('names deep paths and the step', () => {
    const issues = issuesOf(
      wf([
        { id: 'a', noop: true },
        { id: 'b', noop: true },
        { id: 'c', run: 'x', retry: { attempts: 0, jitter: 2, backoff: '-1s' } },
      ]),
    );
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'steps[2].retry.attempts',
        'steps[2].retry.jitter',
        'steps[2].retry.backoff',
      ]),
    );
    expect(issues.find((i) => i.path === 'steps[2].retry.attempts')?.message).toMatch(
      /\(step 'c'\)$/,
    );
    expect(issuesOf(wf([{ id: 'a', noop: true, retry: 0 }]))[0]?.path).toBe('steps[0].retry');
    const union = issuesOf(wf([{ id: 'a', noop: true, retry: 'often' }]))[0];
    expect(union?.message).toMatch(/^retry must be a number of attempts or/);
  });

  it.each([
    ['a bad workflow id', { id: 'has.dot', steps: [{ id: 'a', noop: true }] }, 'id'],
    ['a bad step id', wf([{ id: '-a', noop: true }]), 'steps[0].id'],
    ['no steps', wf([]), 'steps'],
    ['concurrency 0', wf([{ id: 'a', noop: true }], { concurrency: 0 }), 'concurrency'],
    ['concurrency 1025', wf([{ id: 'a', noop: true }], { concurrency: 1025 }), 'concurrency'],
    ['fractional concurrency', wf([{ id: 'a', noop: true }], { concurrency: 1.5 }), 'concurrency'],
    ['exec as a string', wf([{ id: 'a', exec: 'echo hi' }]), 'steps[0].exec'],
    ['empty exec', wf([{ id: 'a', exec: [] }]), 'steps[0].exec'],
    ['empty program', wf([{ id: 'a', exec: [''] }]), 'steps[0].exec'],
    ['blank run', wf([{ id: 'a', run: '  ' }]), 'steps[0].run'],
    ['noop false', wf([{ id: 'a', noop: false }]), 'steps[0].noop'],
    ['shell on exec', wf([{ id: 'a', exec: ['x'], shell: 'bash' }]), 'steps[0].shell'],
    ['zero timeout', wf([{ id: 'a', noop: true, timeout: 0 }]), 'steps[0].timeout'],
    [
      'factor below 1',
      wf([{ id: 'a', noop: true, retry: { factor: 0.5 } }]),
      'steps[0].retry.factor',
    ],
    ['env null value', wf([{ id: 'a', noop: true, env: { A: null } }]), 'steps[0].env.A'],
    ['bad env name', wf([{ id: 'a', noop: true }], { env: { 'A-B': 'x' } }), 'env["A-B"]'],
    ['bad input name', wf([{ id: 'a', noop: true }], { inputs: { '1x': {} } }), 'inputs["1x"]'],
    [
      'bad input type',
      wf([{ id: 'a', noop: true }], { inputs: { x: { type: 'date' } } }),
      'inputs.x.type',
    ],
    [
      'required input with default',
      wf([{ id: 'a', noop: true }], { inputs: { x: { required: true, default: 1 } } }),
      'inputs.x.required',
    ],
    [
      'default of the wrong type',
      wf([{ id: 'a', noop: true }], { inputs: { x: { type: 'number', default: 'one' } } }),
      'inputs.x.default',
    ],
    [
      'inputs clashing in the environment',
      wf([{ id: 'a', noop: true }], { inputs: { name: {}, NAME: {} } }),
      'inputs.NAME',
    ],
    [
      'triggers not an array',
      wf([{ id: 'a', noop: true }], { triggers: { cron: 'x' } }),
      'triggers',
    ],
  ])('rejects %s', (_name, input, path) => {
    const issues = issuesOf(input);
    expect(issues.map((i) => i.path)).toContain(path);
  });

  it('rejects more than 20,000 steps', () => {
    const steps = Array.from({ length: 20_001 }, (_, i) => ({ id: `s${i}`, noop: true }));
    expect(issuesOf(wf(steps)).map((i) => i.path)).toContain('steps');
  });

  it('rejects a non-object definition', () => {
    expect(issuesOf([1, 2])[0]?.path).toBe('');
    expect(issuesOf(null)[0]?.message).toMatch(/empty/);
  });
});

describe('workflow schema: triggers', () => {
  it('resolves a nats trigger and refuses reserved or malformed subjects', () => {
    const base = { id: 't', steps: [{ id: 'a', noop: true }] };
    expect(
      workflowSchema.parse({ ...base, triggers: [{ nats: { subject: 'jobs.>' } }] }).triggers,
    ).toEqual([{ kind: 'nats', subject: 'jobs.>' }]);
    for (const subject of ['stator.api.x', 'a..b', 'a.>.b', '']) {
      expect(workflowSchema.safeParse({ ...base, triggers: [{ nats: { subject } }] }).success).toBe(
        false,
      );
    }
    expect(workflowSchema.safeParse({ ...base, triggers: [{ cron: '* * * * *' }] }).success).toBe(
      false,
    );
  });
});

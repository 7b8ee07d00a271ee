import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../../../src/workflow/parse.ts';
import {
  MAX_MAX_QUEUED,
  hookSecretEnv,
  resolveHookSecret,
} from '../../../src/workflow/triggers.ts';
import { workflowJsonSchema } from '../../../src/workflow/json-schema.ts';

const base = { id: 'nightly', steps: [{ id: 'a', noop: true }] };

/** The first issue of an invalid definition. */
function issue(extra: Record<string, unknown>): { path: string; message: string } {
  try {
    parseWorkflow({ ...base, ...extra });
  } catch (err) {
    const e = err as {
      code: string;
      details: { issues: Array<{ path: string; message: string }> };
    };
    expect(e.code).toBe('invalid_workflow');
    return e.details.issues[0]!;
  }
  throw new Error('expected the definition to be refused');
}

describe('workflow schema: cron triggers', () => {
  it('resolves 5- and 6-field schedules with an optional timezone', () => {
    const def = parseWorkflow({
      ...base,
      triggers: [
        { cron: { schedule: '*/5 * * * * *' } },
        { cron: { schedule: ' 0 9 * * MON-FRI ', timezone: 'Europe/Paris' } },
        { cron: { schedule: '@hourly' } },
      ],
    });
    expect(def.triggers).toEqual([
      { kind: 'cron', schedule: '*/5 * * * * *' },
      { kind: 'cron', schedule: '0 9 * * MON-FRI', timezone: 'Europe/Paris' },
      { kind: 'cron', schedule: '@hourly' },
    ]);
  });

  it.each([
    ['four fields', { schedule: '* * * *' }, 'triggers[0].cron.schedule', /5 fields, or 6.*got 4/],
    ['seven fields', { schedule: '0 0 0 1 1 * 2030' }, 'triggers[0].cron.schedule', /got 7/],
    ['a value out of range', { schedule: '0 25 * * *' }, 'triggers[0].cron.schedule', /hour/],
    [
      'a schedule that never fires',
      { schedule: '0 0 31 2 *' },
      'triggers[0].cron.schedule',
      /never fires/,
    ],
    ['an empty schedule', { schedule: '  ' }, 'triggers[0].cron.schedule', /required/],
    [
      'an unknown timezone',
      { schedule: '* * * * *', timezone: 'Europe/Atlantis' },
      'triggers[0].cron.timezone',
      /IANA/,
    ],
    [
      'an unknown field',
      { schedule: '* * * * *', tz: 'UTC' },
      'triggers[0].cron.tz',
      /unknown field/,
    ],
  ])('rejects %s naming its path', (_name, cron, path, message) => {
    const found = issue({ triggers: [{ cron }] });
    expect(found.path).toBe(path);
    expect(found.message).toMatch(message);
  });
});

describe('workflow schema: http triggers', () => {
  it('normalises the path and keeps the secret as written', () => {
    const def = parseWorkflow({
      ...base,
      triggers: [
        { http: { path: '/github/push/' } },
        { http: { path: 'deploy', secret: '${{ env.DEPLOY_HOOK_SECRET }}' } },
        { http: { path: 'v1.2/release~rc', secret: 'literal-secret' } },
      ],
    });
    expect(def.triggers).toEqual([
      { kind: 'http', path: 'github/push' },
      { kind: 'http', path: 'deploy', secret: '${{ env.DEPLOY_HOOK_SECRET }}' },
      { kind: 'http', path: 'v1.2/release~rc', secret: 'literal-secret' },
    ]);
  });

  it.each([
    ['a path with spaces', { path: 'a b' }, 'triggers[0].http.path'],
    ['a dot segment', { path: '../etc' }, 'triggers[0].http.path'],
    ['an empty path', { path: '/' }, 'triggers[0].http.path'],
    [
      'a malformed env reference',
      { path: 'x', secret: '${{ env.lower-case }}' },
      'triggers[0].http.secret',
    ],
    ['an empty secret', { path: 'x', secret: '' }, 'triggers[0].http.secret'],
  ])('rejects %s', (_name, http, path) => {
    expect(issue({ triggers: [{ http }] }).path).toBe(path);
  });

  it('rejects the same path twice in one workflow', () => {
    const found = issue({ triggers: [{ http: { path: 'x' } }, { http: { path: '/x' } }] });
    expect(found).toEqual({
      path: 'triggers[1].http.path',
      message: "path 'x' is already used by triggers[0]",
    });
  });

  it('resolves a secret from the environment, literal secrets as they are', () => {
    expect(hookSecretEnv('${{ env.HOOK }}')).toBe('HOOK');
    expect(hookSecretEnv('${{env.HOOK}}')).toBe('HOOK');
    expect(hookSecretEnv('plain')).toBeUndefined();
    expect(resolveHookSecret('${{ env.HOOK }}', { HOOK: 's3cret' })).toBe('s3cret');
    expect(resolveHookSecret('${{ env.HOOK }}', {})).toBeUndefined();
    expect(resolveHookSecret('${{ env.HOOK }}', { HOOK: '' })).toBeUndefined();
    expect(resolveHookSecret('plain', {})).toBe('plain');
  });
});

describe('workflow schema: trigger kinds and overlap fields', () => {
  it('a trigger has exactly one kind', () => {
    expect(issue({ triggers: [{}] }).message).toMatch(/exactly one of cron, http, nats/);
    expect(
      issue({ triggers: [{ cron: { schedule: '* * * * *' }, http: { path: 'x' } }] }).message,
    ).toMatch(/got cron, http/);
  });

  it('resolves overlap, maxQueued and catchUp only when declared', () => {
    expect(parseWorkflow(base)).not.toHaveProperty('overlap');
    const def = parseWorkflow({ ...base, overlap: 'queue', maxQueued: 3, catchUp: 'last' });
    expect(def).toMatchObject({ overlap: 'queue', maxQueued: 3, catchUp: 'last' });
    expect(parseWorkflow({ ...base, overlap: 'cancel_previous' }).overlap).toBe('cancel_previous');
  });

  it.each([
    ['an unknown overlap', { overlap: 'sometimes' }, 'overlap'],
    ['maxQueued without overlap: queue', { overlap: 'skip', maxQueued: 2 }, 'maxQueued'],
    ['maxQueued out of range', { overlap: 'queue', maxQueued: MAX_MAX_QUEUED + 1 }, 'maxQueued'],
    ['an unknown catchUp', { catchUp: 'some' }, 'catchUp'],
  ])('rejects %s', (_name, extra, path) => {
    expect(issue(extra).path).toBe(path);
  });

  it('shows the new fields in the JSON Schema', () => {
    const root = workflowJsonSchema() as { properties: Record<string, { enum?: string[] }> };
    expect(root.properties.overlap?.enum).toEqual(['skip', 'queue', 'allow', 'cancel_previous']);
    expect(root.properties.catchUp?.enum).toEqual(['none', 'last', 'all']);
    expect(JSON.stringify(root.properties.triggers)).toContain('"schedule"');
  });
});

import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BACKOFF_MAX_MS,
  parseSessionDefinition,
  parseSessionPatch,
} from '../../../src/sessions/index.ts';

function issuesOf(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (err) {
    expect(err).toMatchObject({ code: 'invalid_argument' });
    return (err as { details: { issues: Array<{ path: string; message: string }> } }).details
      .issues;
  }
  throw new Error('expected the definition to be refused');
}

describe('session definition', () => {
  it('resolves defaults and durations', () => {
    expect(parseSessionDefinition({ name: 'repl', command: ['python3', '-i'] })).toEqual({
      name: 'repl',
      command: ['python3', '-i'],
      env: {},
      tags: [],
      restart: 'on_failure',
      maxRestarts: 5,
      restartWindowMs: 60_000,
      backoffMs: 500,
      backoffMaxMs: DEFAULT_BACKOFF_MAX_MS,
      autostart: false,
      preferences: {},
    });
    const def = parseSessionDefinition({
      name: '  agent  ',
      run: 'claude',
      cwd: '/tmp',
      env: { PORT: 3000, DEBUG: true },
      tags: ['ai', 'ai', 'team/x'],
      restart: 'always',
      maxRestarts: 0,
      restartWindow: '5m',
      backoff: '1s',
      backoffMax: '1m',
      autostart: true,
      attention: { prompt: '^> $', idle: '5s' },
      preferences: { pinned: true },
    });
    expect(def).toMatchObject({
      name: 'agent',
      run: 'claude',
      env: { PORT: '3000', DEBUG: 'true' },
      tags: ['ai', 'team/x'],
      restartWindowMs: 300_000,
      backoffMs: 1000,
      backoffMaxMs: 60_000,
      attention: { prompt: '^> $', idleMs: 5000 },
    });
    // A stored (resolved) definition parses back to itself.
    expect(parseSessionDefinition(def)).toEqual(def);
  });

  it('refuses unknown fields, both or neither of command and run, and bad values by field', () => {
    expect(
      issuesOf(() => parseSessionDefinition({ name: 'x', command: ['a'], shell: 'bash' })),
    ).toEqual([expect.objectContaining({ path: '' })]);
    expect(issuesOf(() => parseSessionDefinition({ name: 'x' }))[0]!.path).toBe('command');
    expect(
      issuesOf(() => parseSessionDefinition({ name: 'x', command: ['a'], run: 'b' }))[0]!.path,
    ).toBe('command');
    const paths = issuesOf(() =>
      parseSessionDefinition({
        name: '',
        command: ['a'],
        restart: 'sometimes',
        tags: ['bad tag'],
        maxRestarts: -1,
      }),
    ).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'restart', 'tags.0', 'maxRestarts']));
    expect(
      issuesOf(() =>
        parseSessionDefinition({ name: 'x', command: ['a'], backoff: '1 fortnight' }),
      )[0]!.path,
    ).toBe('backoff');
    expect(
      issuesOf(() =>
        parseSessionDefinition({ name: 'x', command: ['a'], backoff: '10s', backoffMax: '1s' }),
      )[0]!.path,
    ).toBe('backoffMax');
    expect(
      issuesOf(() =>
        parseSessionDefinition({ name: 'x', command: ['a'], backoff: '1s', backoffMs: 1000 }),
      )[0]!.path,
    ).toBe('backoff');
  });

  it('compiles the attention prompt at create and requires a rule', () => {
    const [issue] = issuesOf(() =>
      parseSessionDefinition({ name: 'x', command: ['a'], attention: { prompt: '([' } }),
    );
    expect(issue).toMatchObject({ path: 'attention.prompt' });
    expect(issue!.message).toMatch(/Invalid regular expression/);
    expect(
      issuesOf(() => parseSessionDefinition({ name: 'x', command: ['a'], attention: {} }))[0]!.path,
    ).toBe('attention');
  });

  it('parses updates of name, tags and preferences only', () => {
    expect(parseSessionPatch({ name: 'n', tags: ['a'] })).toEqual({ name: 'n', tags: ['a'] });
    expect(issuesOf(() => parseSessionPatch({}))[0]!.message).toMatch(/at least one/);
    expect(issuesOf(() => parseSessionPatch({ command: ['x'] }))).toContainEqual(
      expect.objectContaining({ message: expect.stringMatching(/command/) }),
    );
  });
});

describe('session definition: secrets', () => {
  const base = { name: 's', run: 'true', env: { PORT: '1' } };
  const issues = (secrets: unknown) =>
    issuesOf(() => parseSessionDefinition({ ...base, secrets })).map(
      (i) => `${i.path}: ${i.message}`,
    );

  it('takes {env: VAR} and {file: PATH} sources by name, stored as given', () => {
    const def = parseSessionDefinition({
      ...base,
      secrets: { TOKEN: { env: 'SESSION_TOKEN' }, KEY: { file: 'k.pem' } },
    });
    expect(def.secrets).toEqual({ TOKEN: { env: 'SESSION_TOKEN' }, KEY: { file: 'k.pem' } });
    expect(parseSessionDefinition(def)).toEqual(def);
    expect('secrets' in parseSessionDefinition(base)).toBe(false);
  });

  it("refuses what a workflow's secrets refuse, worded the same, and a clash with env", () => {
    expect(issues({ T: { foo: 1 } })).toEqual([
      'secrets.T: a secret is {env: VARIABLE} or {file: PATH}',
    ]);
    expect(issues({ T: 'plain value' })).toEqual([
      'secrets.T: a secret is {env: VARIABLE} or {file: PATH}',
    ]);
    expect(issues({ T: { env: 'STATOR_API_TOKEN' } })).toEqual([
      "secrets.T.env: Stator's own configuration (STATOR_*) is never a step's secret",
    ]);
    expect(issues({ 'a-b': { env: 'X' } })).toEqual([
      'secrets["a-b"]: secret names are variable names (letters, digits and _)',
    ]);
    expect(issues({ STATOR_SESSION_ID: { env: 'X' } })).toEqual([
      'secrets.STATOR_SESSION_ID: secret names cannot start with STATOR_',
    ]);
    expect(issues({ PORT: { env: 'X' } })).toEqual(["secrets.PORT: also set by the session's env"]);
    const many = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`S${i}`, { env: 'X' }]));
    expect(issues(many)).toEqual(['secrets: at most 100 secrets']);
  });

  it('cannot be changed by an update', () => {
    expect(issuesOf(() => parseSessionPatch({ secrets: {} }))).not.toEqual([]);
  });
});

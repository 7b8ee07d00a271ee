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

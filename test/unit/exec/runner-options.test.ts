import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EXIT_DRAIN_MS,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_LINE_LENGTH,
  DEFAULT_SHELL,
  DEFAULT_SPAWNER,
  createExecaRunner,
  resolveExecaRunnerOptions,
} from '../../../src/exec/index.ts';
import { InvalidArgumentError } from '../../../src/errors.ts';

describe('resolveExecaRunnerOptions', () => {
  it('applies the defaults', () => {
    expect(resolveExecaRunnerOptions()).toEqual({
      env: {},
      shell: DEFAULT_SHELL,
      killGraceMs: DEFAULT_KILL_GRACE_MS,
      maxLineLength: DEFAULT_MAX_LINE_LENGTH,
      exitDrainMs: DEFAULT_EXIT_DRAIN_MS,
      spawner: DEFAULT_SPAWNER,
    });
    expect([DEFAULT_SHELL, DEFAULT_KILL_GRACE_MS, DEFAULT_MAX_LINE_LENGTH]).toEqual([
      'sh',
      2000,
      65536,
    ]);
  });

  it('keeps given values', () => {
    const o = resolveExecaRunnerOptions({ shell: 'bash', killGraceMs: 0, spawner: 'execa' });
    expect(o).toMatchObject({ shell: 'bash', killGraceMs: 0, spawner: 'execa' });
  });

  it('names every bad field', () => {
    const bad = { killGraceMs: -1, maxLineLength: 1.5, spawner: 'bun' } as never;
    let caught: unknown;
    try {
      resolveExecaRunnerOptions(bad);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(InvalidArgumentError);
    const paths = (
      caught as InvalidArgumentError & { details: { issues: { path: string }[] } }
    ).details.issues.map((i) => i.path);
    expect(paths.sort()).toEqual(['killGraceMs', 'maxLineLength', 'spawner']);
    expect(() => createExecaRunner({ shell: '' })).toThrow(/shell/);
  });

  it('runs scripts with the configured shell', async () => {
    const runner = createExecaRunner({ shell: 'bash' });
    const lines: string[] = [];
    const res = await runner.run({
      script: 'echo "${BASH_VERSION:+bash}"',
      onLine: (_s, l) => lines.push(l),
    });
    expect(res.exitCode).toBe(0);
    expect(lines).toEqual(['bash']);
  });
});

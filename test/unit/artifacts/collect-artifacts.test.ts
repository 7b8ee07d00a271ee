import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ArtifactCollector,
  compileGlob,
  createFsArtifactStore,
  type ArtifactStore,
} from '../../../src/artifacts/index.ts';
import { artifactPatternProblem, parseWorkflow } from '../../../src/workflow/index.ts';

describe('artifact patterns at registration', () => {
  it('refuses absolute paths, .., backslashes and the directory itself', () => {
    expect(artifactPatternProblem('/etc/passwd')).toMatch(/absolute/);
    expect(artifactPatternProblem('C:/x')).toMatch(/absolute/);
    expect(artifactPatternProblem('../secret')).toMatch(/'\.\.'/);
    expect(artifactPatternProblem('out/../../x')).toMatch(/'\.\.'/);
    expect(artifactPatternProblem('out\\x')).toMatch(/backslash/);
    expect(artifactPatternProblem('.')).toMatch(/not the directory/);
    expect(artifactPatternProblem('')).toMatch(/empty/);
    expect(artifactPatternProblem('out/**/*.log')).toBeUndefined();
    expect(artifactPatternProblem('..foo/x')).toBeUndefined();
  });

  it('a workflow with such a pattern, too many patterns or artifacts on an http step is invalid', () => {
    const wf = (step: object) => ({ id: 'w', steps: [{ id: 'a', ...step }] });
    expect(() => parseWorkflow(wf({ run: 'true', artifacts: ['../x'] }))).toThrow(/\.\./);
    expect(() => parseWorkflow(wf({ run: 'true', artifacts: ['/x'] }))).toThrow(/absolute/);
    expect(() =>
      parseWorkflow(wf({ run: 'true', artifacts: Array.from({ length: 33 }, (_, i) => `f${i}`) })),
    ).toThrow(/at most 32/);
    expect(() =>
      parseWorkflow(wf({ http: { url: 'http://127.0.0.1/' }, artifacts: ['x'] })),
    ).toThrow(/only to exec and run/);
    const ok = parseWorkflow(wf({ run: 'true', artifacts: ['out/*.txt'] }));
    expect(ok.steps[0]).toMatchObject({ kind: 'run', artifacts: ['out/*.txt'] });
  });
});

describe('glob matching', () => {
  it('matches *, ? and ** on whole segments', () => {
    const g = compileGlob('out/**/*.log');
    expect(g.base).toBe('out');
    expect(g.matches('out/a.log')).toBe(true);
    expect(g.matches('out/x/y/a.log')).toBe(true);
    expect(g.matches('out/a.txt')).toBe(false);
    expect(g.matches('other/a.log')).toBe(false);
    const q = compileGlob('r?port.*');
    expect(q.matches('report.txt')).toBe(true);
    expect(q.matches('sub/report.txt')).toBe(false);
    expect(compileGlob('a.b').matches('axb')).toBe(false);
    expect(compileGlob('./dist/app').literal).toBe(true);
  });
});

describe('ArtifactCollector', () => {
  let dir: string;
  let cwd: string;
  let store: ArtifactStore;
  const sha = (s: string) => createHash('sha256').update(s).digest('hex');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stator-collect-'));
    cwd = join(dir, 'work');
    await mkdir(join(cwd, 'out', 'sub'), { recursive: true });
    store = createFsArtifactStore(join(dir, 'store'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const collector = (maxFileBytes = 1000, maxRunBytes = 10_000) =>
    new ArtifactCollector(store, { maxFileBytes, maxRunBytes });

  it('keeps matching files with size and sha256, and notes patterns matching nothing', async () => {
    await writeFile(join(cwd, 'out', 'a.txt'), 'alpha');
    await writeFile(join(cwd, 'out', 'sub', 'b.txt'), 'beta');
    await writeFile(join(cwd, 'out', 'c.log'), 'no');
    const r = await collector().collect({
      executionId: 'ex1',
      stepId: 'build',
      cwd,
      patterns: ['out/**/*.txt', 'missing.bin'],
    });
    expect(r.kept.sort((x, y) => x.name.localeCompare(y.name))).toEqual([
      { name: 'build/out/a.txt', size: 5, sha256: sha('alpha') },
      { name: 'build/out/sub/b.txt', size: 4, sha256: sha('beta') },
    ]);
    expect(r.refused).toEqual([]);
    expect(r.notes).toEqual(["artifacts: 'missing.bin' matched no file"]);
  });

  it('refuses a symlink leading out of the working directory, by name or through a directory', async () => {
    const outside = join(dir, 'secret.txt');
    await writeFile(outside, 'top secret');
    await mkdir(join(dir, 'secrets'));
    await writeFile(join(dir, 'secrets', 'key'), 'k');
    await symlink(outside, join(cwd, 'out', 'link.txt'));
    await symlink(join(dir, 'secrets'), join(cwd, 'linkdir'));
    // A symlink inside the directory to a file inside it is fine.
    await writeFile(join(cwd, 'out', 'real.txt'), 'real');
    await symlink(join(cwd, 'out', 'real.txt'), join(cwd, 'inner.txt'));
    const r = await collector().collect({
      executionId: 'ex1',
      stepId: 's',
      cwd,
      patterns: ['out/link.txt', 'linkdir/key', 'linkdir/**', 'inner.txt'],
    });
    expect(r.kept.map((k) => k.name)).toEqual(['s/inner.txt']);
    expect(r.refused).toEqual([
      { name: 's/out/link.txt', reason: 'a symlink leading outside the working directory' },
      { name: 's/linkdir/key', reason: 'a symlink leading outside the working directory' },
    ]);
    expect(JSON.stringify(await store.list('ex1'))).not.toContain('secret');
  });

  it('refuses files over the per-file and per-run bounds, and non-regular files', async () => {
    await writeFile(join(cwd, 'big.bin'), Buffer.alloc(1500));
    await writeFile(join(cwd, 'a.bin'), Buffer.alloc(900));
    await writeFile(join(cwd, 'b.bin'), Buffer.alloc(900));
    execFileSync('mkfifo', [join(cwd, 'pipe')]);
    const c = collector(1000, 1000);
    const r = await c.collect({
      executionId: 'ex1',
      stepId: 's',
      cwd,
      patterns: ['big.bin', 'a.bin', 'b.bin', 'pipe'],
    });
    expect(r.kept.map((k) => k.name)).toEqual(['s/a.bin']);
    expect(r.refused).toEqual([
      { name: 's/big.bin', reason: '1500 bytes, over the 1000 bytes kept per file' },
      { name: 's/b.bin', reason: '900 bytes, over what is left of the 1000 bytes kept per run' },
      { name: 's/pipe', reason: 'not a regular file' },
    ]);
    // The run's bound holds across steps (and collections) of the run; another run has its own.
    await writeFile(join(cwd, 'c.bin'), Buffer.alloc(200));
    const again = await c.collect({ executionId: 'ex1', stepId: 't', cwd, patterns: ['c.bin'] });
    expect(again.kept).toEqual([]);
    const other = await c.collect({ executionId: 'ex2', stepId: 't', cwd, patterns: ['c.bin'] });
    expect(other.kept.map((k) => k.size)).toEqual([200]);
  });

  it('a directory named without a glob is a note, not a kept file', async () => {
    const r = await collector().collect({
      executionId: 'ex1',
      stepId: 's',
      cwd,
      patterns: ['out'],
    });
    expect(r.kept).toEqual([]);
    expect(r.notes[0]).toMatch(/is a directory/);
  });
});

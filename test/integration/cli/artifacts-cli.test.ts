/**
 * `stator artifacts` against a real server (HTTP on a free port, token required, SQLite store,
 * a `run:` step that writes files): the listing shows the kept files with size and sha256 and a
 * refused symlink with its reason; a download lands byte-identical under its basename in the
 * current directory, under -o FILE and into -o DIR; an existing file is never replaced without
 * --force (and is left as it was); an unknown name or run exits 1 with a message saying so, and
 * leaves no file behind.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const TSX = pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
const TOKEN = 'artifacts-cli-token-0123456789';

let stator: Stator;
let server: HttpServerHandle;
let dir: string;
let executionId: string;
let report: Buffer;

/** The CLI, run in `cwd` (a download without -o lands there). */
function cli(args: string[], cwd: string) {
  return execa(process.execPath, ['--import', TSX, join(ROOT, 'src', 'cli.ts'), ...args], {
    cwd,
    reject: false,
    timeout: 60_000,
    env: { STATOR_URL: server.url, STATOR_API_TOKEN: TOKEN },
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stator-artifacts-cli-'));
  const work = join(dir, 'work');
  await mkdir(work);
  stator = await createStator({ dataDir: join(dir, 'data'), rehydrate: false });
  server = await startHttpServer({ app: createHttpApp({ stator, apiToken: TOKEN }) });
  await stator.registerWorkflow({
    id: 'build',
    steps: [
      {
        id: 'make',
        cwd: work,
        run: [
          'mkdir -p out',
          'head -c 150000 /dev/urandom > out/report.bin',
          'echo hello > out/notes.txt',
          'ln -s /etc/hostname out/leak',
        ].join('\n'),
        artifacts: ['out/*'],
      },
    ],
  });
  const { executionId: id } = await stator.execute('build');
  const record = await stator.waitForExecution(id, { timeoutMs: 30_000 });
  expect(record.status).toBe('completed');
  executionId = id;
  report = await readFile(join(work, 'out', 'report.bin'));
}, 60_000);

afterAll(async () => {
  await server?.close();
  await stator?.close({ stopProcesses: true });
  await rm(dir, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('stator artifacts', () => {
  it('lists kept files with size and sha256, and a refused one with its reason', async () => {
    const r = await cli(['artifacts', executionId], dir);
    expect(r.exitCode, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^NAME\s+SIZE\s+SHA256$/);
    expect(lines.find((l) => l.startsWith('make/out/report.bin'))).toMatch(
      new RegExp(`146\\.5 KiB\\s+${sha(report)}$`),
    );
    expect(lines.find((l) => l.startsWith('make/out/notes.txt'))).toMatch(/6 B\s+[0-9a-f]{64}$/);
    expect(lines.find((l) => l.startsWith('make/out/leak'))).toContain(
      'refused: a symlink leading outside the working directory',
    );
    const json = await cli(['artifacts', executionId, '--json'], dir);
    const listed = JSON.parse(json.stdout) as Array<{ name: string; sha256?: string }>;
    expect(listed.find((a) => a.name === 'make/out/report.bin')?.sha256).toBe(sha(report));
    expect(listed).toHaveLength(3);
  }, 60_000);

  it('downloads byte-identical, and never replaces a file without --force', async () => {
    const here = join(dir, 'dl-default');
    await mkdir(here);
    const r = await cli(['artifacts', executionId, 'make/out/report.bin'], here);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(join(here, 'report.bin'));
    expect((await readFile(join(here, 'report.bin'))).equals(report)).toBe(true);

    // Again: refused, and the file is left as it was (here, changed by hand first).
    await writeFile(join(here, 'report.bin'), 'mine');
    const again = await cli(['artifacts', executionId, 'make/out/report.bin'], here);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toContain('exists; use --force');
    expect(await readFile(join(here, 'report.bin'), 'utf8')).toBe('mine');
    const forced = await cli(['artifacts', executionId, 'make/out/report.bin', '--force'], here);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect((await readFile(join(here, 'report.bin'))).equals(report)).toBe(true);

    // -o FILE, with the name's `/` sent as %2F by the CLI; -o DIR keeps the basename.
    const named = await cli(['artifacts', executionId, 'make/out/notes.txt', '-o', 'n.txt'], here);
    expect(named.exitCode, named.stderr).toBe(0);
    expect(await readFile(join(here, 'n.txt'), 'utf8')).toBe('hello\n');
    await mkdir(join(here, 'sub'));
    const into = await cli(['artifacts', executionId, 'make/out/notes.txt', '-o', 'sub'], here);
    expect(into.exitCode, into.stderr).toBe(0);
    expect(await readFile(join(here, 'sub', 'notes.txt'), 'utf8')).toBe('hello\n');
    // No temporary file is left beside the targets.
    expect(readdirSync(here).sort()).toEqual(['n.txt', 'report.bin', 'sub']);
  }, 90_000);

  it('exits 1 with a clear message for an unknown name, a refused one, an unknown run', async () => {
    const here = join(dir, 'dl-bad');
    await mkdir(here);
    const unknown = await cli(['artifacts', executionId, 'make/out/nope.bin'], here);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain(`run ${executionId} has no artifact 'make/out/nope.bin'`);
    expect(unknown.stderr).toContain('make/out/report.bin');
    const refused = await cli(['artifacts', executionId, 'make/out/leak'], here);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(
      "did not keep 'make/out/leak': a symlink leading outside the working directory",
    );
    const traversal = await cli(['artifacts', executionId, 'make/../../stator.db'], here);
    expect(traversal.exitCode).toBe(1);
    expect(traversal.stderr).toContain('has no artifact');
    const run = await cli(['artifacts', 'ex_nope', 'make/out/report.bin'], here);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('not found');
    expect(existsSync(join(here, 'report.bin'))).toBe(false);
    expect(readdirSync(here)).toEqual([]);
    expect((await cli(['artifacts'], here)).exitCode).toBe(2);
    const badToken = await execa(
      process.execPath,
      ['--import', TSX, join(ROOT, 'src', 'cli.ts'), 'artifacts', executionId],
      { cwd: here, reject: false, env: { STATOR_URL: server.url, STATOR_API_TOKEN: 'wrong' } },
    );
    expect(badToken.exitCode).toBe(1);
  }, 90_000);
});

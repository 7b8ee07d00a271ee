/**
 * `stator plan FILE` against a real server (HTTP on a free port, token required): a safe file
 * exits 0 with its levels; `rm -rf /` (here through `--input`) exits 1 naming the critical
 * finding; an invalid file exits 1 listing every error; `--json` prints the plan; no file is a
 * usage error (2).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';
import { useTempDir } from '../../helpers/use-stator.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const TOKEN = 'plan-cli-token-0123456789';
const files = useTempDir('stator-plan-cli-');

let stator: Stator;
let server: HttpServerHandle;

function cli(args: string[]) {
  return execa(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    reject: false,
    timeout: 60_000,
    env: { STATOR_URL: server.url, STATOR_API_TOKEN: TOKEN },
  });
}

beforeAll(async () => {
  stator = await createStator({ store: 'memory', rehydrate: false });
  server = await startHttpServer({ app: createHttpApp({ stator, apiToken: TOKEN }) });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await stator?.close({ stopProcesses: true });
});

describe('stator plan', () => {
  it('plans files through the server', { timeout: 60_000 }, async () => {
    const file = join(files.path, 'clean.yaml');
    await writeFile(
      file,
      [
        'id: clean',
        'inputs: {dir: {type: string}}',
        'defaults: {timeout: 1m}',
        'steps:',
        '  - {id: build, exec: [make]}',
        '  - {id: lint, exec: [make, lint]}',
        '  - {id: clean, needs: [build, lint], run: \'rm -rf "$INPUT_DIR"\'}',
      ].join('\n'),
    );
    const safe = await cli(['plan', file, '--input', '{"dir": "./build"}']);
    expect(safe.exitCode, safe.stderr).toBe(0);
    expect(safe.stdout).toMatch(/^valid: clean/);
    expect(safe.stdout).toContain('1. build, lint');
    expect(safe.stdout).toContain('findings: none');

    const wipe = await cli(['plan', file, '--input', '{"dir": "/"}']);
    expect(wipe.exitCode).toBe(1);
    expect(wipe.stdout).toMatch(/CRITICAL destructive-rm-root \[clean\]/);

    const json = await cli(['plan', file, '--json', '--input', '{"dir": "/"}']);
    expect(json.exitCode).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      valid: true,
      levels: [['build', 'lint'], ['clean']],
      findings: [{ severity: 'critical', stepId: 'clean' }],
    });

    const missing = await cli(['plan', file]);
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toMatch(/INVALID: clean\n {2}error input.dir: is required/);
  });

  it('lists every error of an invalid file; no file is a usage error', async () => {
    const file = join(files.path, 'bad.yaml');
    await writeFile(
      file,
      'id: bad\nsteps:\n  - {id: a, exec: ls}\n  - {id: b, noop: true, needs: zzz}\n',
    );
    const bad = await cli(['plan', file]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toContain('INVALID');
    expect(bad.stdout).toContain('steps[0].exec');
    expect((await cli(['plan'])).exitCode).toBe(2);
  });
});

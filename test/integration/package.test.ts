/**
 * Stator as a package: `npm run build` compiles to dist/, `import { createStator } from 'stator'`
 * works from plain node (no tsx loader), `stator --help` answers in one quick node start, and
 * `stator serve` from the build runs a workflow whose step is spawned by the process host.
 */
import { readFileSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTempDir } from '../helpers/use-stator.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'stator.js');
const tmp = useTempDir('stator-package-');

beforeAll(async () => {
  // The build is incremental: seconds when dist/ is current (npm install builds it first).
  await execa(process.execPath, [join(ROOT, 'scripts', 'build.js')], { cwd: ROOT });
}, 180_000);

describe('the built package', () => {
  it('imports from plain node by its name and runs a workflow', { timeout: 60_000 }, async () => {
    const app = join(tmp.path, 'app');
    await mkdir(join(app, 'node_modules'), { recursive: true });
    await symlink(ROOT, join(app, 'node_modules', 'stator'), 'dir');
    await writeFile(
      join(app, 'main.mjs'),
      [
        "import { createStator } from 'stator';",
        "const stator = await createStator({ store: 'memory', rehydrate: false });",
        'try {',
        '  await stator.registerWorkflow(',
        '    "id: hello\\nsteps:\\n  - id: a\\n    exec: [sh, -c, \'echo from-$0\', dist]\\n",',
        '  );',
        "  const { executionId } = await stator.execute('hello', {});",
        '  const record = await stator.waitForExecution(executionId);',
        '  console.log(JSON.stringify({ status: record.status }));',
        '} finally {',
        '  await stator.close();',
        '}',
      ].join('\n'),
    );
    // No --import tsx: a .ts file anywhere on this path would fail with ERR_UNKNOWN_FILE_EXTENSION.
    const res = await execa(process.execPath, ['main.mjs'], { cwd: app, reject: false });
    expect(res.stderr).not.toContain('ERR_UNKNOWN_FILE_EXTENSION');
    expect(res.exitCode).toBe(0);
    expect(JSON.parse(res.stdout.trim().split('\n').at(-1)!)).toEqual({ status: 'completed' });
  });

  it(
    'installs from a packed tarball into a new project and imports on plain node',
    { timeout: 240_000 },
    async () => {
      const packDir = join(tmp.path, 'pack');
      await mkdir(packDir, { recursive: true });
      // dist/ was built in beforeAll: no second build while packing.
      const packed = await execa(
        'npm',
        ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir],
        { cwd: ROOT },
      );
      const [pack] = JSON.parse(packed.stdout) as Array<{
        filename: string;
        files: Array<{ path: string }>;
      }>;
      const { filename, files } = pack!;
      const paths = files.map((f) => f.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'dist/src/index.js',
          'dist/src/index.d.ts',
          'dist/src/host/host-main.js',
          'dist/dashboard/index.html',
          'bin/stator.js',
        ]),
      );
      expect(paths.filter((p) => p.startsWith('test/') || p.startsWith('src/'))).toEqual([]);

      const consumer = join(tmp.path, 'consumer');
      await mkdir(consumer, { recursive: true });
      await writeFile(
        join(consumer, 'package.json'),
        JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
      );
      // Dependencies from the npm cache `npm ci` filled (the registry for anything missing);
      // no install scripts: the import below loads no native addon.
      const installed = await execa(
        'npm',
        [
          'install',
          join(packDir, filename),
          '--prefer-offline',
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
        ],
        { cwd: consumer, reject: false },
      );
      expect(installed.exitCode, installed.stderr).toBe(0);
      const res = await execa(
        process.execPath,
        ['-e', "import('stator').then(m => console.log(typeof m.createStator))"],
        { cwd: consumer, reject: false },
      );
      expect(res.stderr).toBe('');
      expect(res.stdout.trim()).toBe('function');
    },
  );

  it('ships declarations beside the JavaScript', async () => {
    const res = await execa(
      process.execPath,
      [
        '-e',
        "const p = require('./package.json'); const fs = require('node:fs');" +
          "for (const f of [p.main, p.types, p.exports['.'].types]) if (!fs.existsSync(f)) throw new Error(f);",
      ],
      { cwd: ROOT, reject: false },
    );
    expect(res.stderr).toBe('');
    expect(res.exitCode).toBe(0);
  });

  it('answers stator --help in under 0.5 s', async () => {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const res = await execa(process.execPath, [BIN, '--help']);
      times.push(performance.now() - started);
      expect(res.stdout).toContain('Usage: stator <command>');
    }
    // The best of five: one start, not the load other test files put on the machine.
    expect(Math.min(...times)).toBeLessThan(500);
    const version = await execa(process.execPath, [BIN, '--version']);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it('serves from the build and runs a step through the host', { timeout: 60_000 }, async () => {
    const flows = join(tmp.path, 'flows');
    await mkdir(flows, { recursive: true });
    await writeFile(join(flows, 'echo.yaml'), 'id: echo\nsteps:\n  - id: s\n    run: echo built\n');
    const child = execa(
      process.execPath,
      [BIN, 'serve', '--port', '0', '--workflows', flows, '--data-dir', join(tmp.path, 'data')],
      { cwd: tmp.path, reject: false, env: { STATOR_LOG_LEVEL: 'info' }, timeout: 55_000 },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let seen = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(seen);
          if (m) resolve(m[1]!);
        });
        void child.then((r) => reject(new Error(`exited ${r.exitCode}: ${r.stderr}`)));
      });
      const started = await fetch(`${url}/api/workflows/echo/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(started.status).toBe(202);
      const { executionId } = (await started.json()) as { executionId: string };
      let status = '';
      for (let i = 0; i < 100 && !['completed', 'failed'].includes(status); i++) {
        await new Promise((r) => setTimeout(r, 100));
        const res = await fetch(`${url}/api/executions/${executionId}`);
        status = ((await res.json()) as { status: string }).status;
      }
      expect(status).toBe('completed');
      const logs = await fetch(`${url}/api/executions/${executionId}/logs`);
      expect(await logs.text()).toContain('built');
    } finally {
      child.kill('SIGTERM');
      const res = await child;
      expect(res.exitCode).toBe(0);
    }
  });
});

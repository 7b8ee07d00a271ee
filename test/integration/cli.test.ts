import { beforeAll, describe, expect, it } from 'vitest';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { parseWorkflow } from '../../src/workflow/index.ts';
import { CONFIG_SOURCES } from '../../src/config.ts';
import { SERVE_OPTIONS } from '../../src/cli/serve.ts';
import { startChildServer } from '../helpers/child-server.ts';
import { useTempDir } from '../helpers/use-stator.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const SLOW = 60_000;

/** `npx tsx src/cli.ts ...` as a user types it. */
const npxCli = (args: string[], env: Record<string, string> = {}) =>
  execa('npx', ['tsx', 'src/cli.ts', ...args], { cwd: ROOT, reject: false, timeout: SLOW, env });
/** The same CLI in one node process (signals reach it directly). */
const nodeCli = (args: string[], opts: { env?: Record<string, string> } = {}) =>
  execa(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    reject: false,
    timeout: SLOW,
    env: opts.env ?? {},
  });

describe('stator CLI', () => {
  const dir = useTempDir('stator-cli-', { scope: 'suite' });
  const file = (name: string) => join(dir.path, name);

  beforeAll(async () => {
    await writeFile(
      file('failing.yaml'),
      'id: failing\nsteps:\n  - id: first\n    run: echo fine\n  - id: boom\n    needs: [first]\n    run: echo about to fail; exit 3\n  - id: never\n    needs: [boom]\n    run: echo unreachable\n',
    );
    await writeFile(
      file('cycle.yaml'),
      'id: cyclic\nsteps:\n  - id: a\n    needs: [b]\n    run: "true"\n  - id: b\n    needs: [a]\n    run: "true"\n',
    );
    await writeFile(
      file('typed.yaml'),
      'id: typed\ninputs:\n  n: { type: number }\n  flag: { type: boolean, default: false }\nsteps:\n  - id: show\n    run: echo "n=$INPUT_N flag=$INPUT_FLAG"\n',
    );
  });

  it('runs examples/diamond.yaml, printing progress, and exits 0', { timeout: SLOW }, async () => {
    const def = parseWorkflow(await readFile(join(ROOT, 'examples/diamond.yaml'), 'utf8'));
    const res = await npxCli(['run', 'examples/diamond.yaml']);
    expect(res.exitCode).toBe(0);
    const lines = res.stdout.trim().split('\n');
    for (const step of def.steps) {
      const started = lines.findIndex((l) => l.startsWith(`[${step.id}] started`));
      const completed = lines.findIndex((l) => l.startsWith(`[${step.id}] completed`));
      expect(started).toBeGreaterThanOrEqual(0);
      expect(completed).toBeGreaterThan(started);
    }
    expect(lines).toContain('[a] hello');
    expect(lines).toContain('[d] hello world');
    expect(lines.at(-1)).toMatch(/^execution \S+ completed in \d+ ms$/);
  });

  it('exits 1 when the run fails, naming the failed step', { timeout: SLOW }, async () => {
    const res = await npxCli(['run', file('failing.yaml')]);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toContain('[first] fine');
    expect(res.stdout).toContain('[boom] about to fail');
    expect(res.stdout).toMatch(/^\[boom\] failed: /m);
    expect(res.stdout).not.toContain('unreachable');
    expect(res.stdout.trim().split('\n').at(-1)).toMatch(/^execution \S+ failed in \d+ ms/);
  });

  it('validate reports a cycle with its path and exits 2', { timeout: SLOW }, async () => {
    const res = await npxCli(['validate', file('cycle.yaml')]);
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/cycle: a -> b -> a/);
    expect(res.stderr).toMatch(/- steps\[\d\]\.needs/);

    const ok = await nodeCli(['validate', 'examples/diamond.yaml']);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toBe('ok: diamond (4 steps)');

    const json = await nodeCli(['validate', '--json', file('cycle.yaml')]);
    expect(json.exitCode).toBe(2);
    const out = JSON.parse(json.stdout) as { ok: boolean; error: { code: string } };
    expect(out).toMatchObject({ ok: false, error: { code: 'invalid_workflow' } });
  });

  it('run refuses an invalid file or missing inputs with exit 2', { timeout: SLOW }, async () => {
    const cycle = await nodeCli(['run', file('cycle.yaml')]);
    expect(cycle.exitCode).toBe(2);
    expect(cycle.stderr).toContain('cycle');
    const missing = await nodeCli(['run', file('nope.yaml')]);
    expect(missing.exitCode).toBe(2);
    const noInput = await nodeCli(['run', file('typed.yaml')]);
    expect(noInput.exitCode).toBe(2);
    expect(noInput.stderr).toMatch(/\bn\b/);
  });

  it(
    'types --input values after the declared inputs; --json prints JSON lines',
    { timeout: SLOW },
    async () => {
      const res = await nodeCli([
        'run',
        file('typed.yaml'),
        '--input',
        'n=5',
        '--input',
        'flag=true',
        '--json',
      ]);
      expect(res.exitCode).toBe(0);
      const lines = res.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.find((e) => e.type === 'step.stdout')).toMatchObject({ line: 'n=5 flag=true' });
      expect(lines.at(-1)).toMatchObject({ status: 'completed', input: { n: 5, flag: true } });
    },
  );

  it('prints the JSON Schema and the machines', { timeout: SLOW }, async () => {
    const schema = await nodeCli(['schema']);
    expect(schema.exitCode).toBe(0);
    expect(JSON.parse(schema.stdout)).toMatchObject({ $id: expect.any(String), type: 'object' });

    const list = await nodeCli(['machines']);
    expect(list.exitCode).toBe(0);
    const name = list.stdout.trim().split('\n')[0]!.split(/\s+/)[0]!;
    const mermaid = await nodeCli(['machines', name]);
    expect(mermaid.stdout).toContain('stateDiagram-v2');
    const json = await nodeCli(['machines', name, '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ name });
    expect((await nodeCli(['machines', 'no-such'])).exitCode).toBe(2);
  });

  it('prints help for every command and refuses unknown ones', { timeout: SLOW }, async () => {
    const commands = ['serve', 'run', 'validate', 'schema', 'machines'];
    const helps = await Promise.all(commands.map((cmd) => nodeCli([cmd, '--help'])));
    helps.forEach((help, i) => {
      expect(help.exitCode).toBe(0);
      expect(help.stdout).toContain(`Usage: stator ${commands[i]}`);
    });
    const [unknown, bogus] = await Promise.all([
      nodeCli(['frobnicate']),
      nodeCli(['run', '--bogus']),
    ]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    expect(bogus.exitCode).toBe(2);
  });

  it(
    'serve --help names every flag serve accepts and every variable',
    { timeout: SLOW },
    async () => {
      const help = await nodeCli(['serve', '--help']);
      expect(help.exitCode).toBe(0);
      // What the parser accepts, flags and short forms, and every variable of the config table.
      const options: Record<string, { short?: string }> = SERVE_OPTIONS;
      const missing = Object.entries(options).flatMap(([flag, spec]) =>
        [`--${flag}`, ...(spec.short ? [`-${spec.short}`] : [])].filter(
          (name) => !new RegExp(`(^|[\\s,\\[])${name}\\b`, 'm').test(help.stdout),
        ),
      );
      for (const { env } of Object.values(CONFIG_SOURCES)) {
        missing.push(...env.filter((name) => !new RegExp(`\\b${name}\\b`).test(help.stdout)));
      }
      expect(missing).toEqual([]);
    },
  );

  it(
    'serves the API, loads valid workflows, skips invalid ones and stops on SIGTERM',
    { timeout: SLOW },
    async () => {
      const flows = file('flows');
      const data = file('data');
      await mkdir(flows);
      await writeFile(
        join(flows, 'good.yaml'),
        'id: good\nsteps:\n  - id: s\n    run: echo good\n',
      );
      await writeFile(
        join(flows, 'bad.yaml'),
        'id: bad\nsteps:\n  - id: s\n    needs: [s]\n    run: "true"\n',
      );
      await using server = await startChildServer(join(ROOT, 'src', 'cli.ts'), {
        args: ['serve', '--port', '0', '--workflows', flows, '--data-dir', data],
        env: { STATOR_API_TOKEN: 'serve-token-0123456789', STATOR_LOG_LEVEL: 'info' },
        // Ready once it logs where it listens.
        ready: (stdout) => /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stdout)?.[1],
      });
      const url = server.ready;
      expect(server.stdout()).toContain('bad.yaml');
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { status: string }).status).toBe('ok');
      expect((await fetch(`${url}/api/workflows`)).status).toBe(401);
      const list = await fetch(`${url}/api/workflows`, {
        headers: { authorization: 'Bearer serve-token-0123456789' },
      });
      const ids = ((await list.json()) as { items: Array<{ id: string }> }).items.map((w) => w.id);
      expect(ids).toEqual(['good']);
      expect(server.stdout()).not.toContain('serve-token-0123456789');

      const res = await server.stop();
      expect(res.exitCode).toBe(0);
      expect(server.stdout()).toContain('stopped');
    },
  );
});

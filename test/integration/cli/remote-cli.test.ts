/**
 * The terminal CLI against a real server (HTTP on a free port, token required): `exec --watch`
 * to the end with its exit code, `ls`, `logs` (and `-f` of a run still going), `attach` to a
 * session with piped input and Ctrl-] (the session runs on), `start/stop/restart`, completion
 * scripts that the shells accept, and the failures a person meets first: no token, no server,
 * a bad URL, an id that does not exist.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const TOKEN = 'remote-cli-token-0123456789';
const SLOW = 60_000;

let stator: Stator;
let server: HttpServerHandle;

interface CliOptions {
  env?: Record<string, string>;
  input?: string;
}

/** `stator <args>` as a person runs it, pointed at the test server. */
function cli(args: string[], opts: CliOptions = {}) {
  return execa(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    reject: false,
    timeout: SLOW,
    ...(opts.input !== undefined && { input: opts.input }),
    env: { STATOR_URL: server.url, STATOR_API_TOKEN: TOKEN, ...opts.env },
  });
}

/** The same, with stdin left open for the test to write to. */
function cliWithStdin(args: string[]) {
  return execa(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    reject: false,
    timeout: SLOW,
    stdin: 'pipe',
    env: { STATOR_URL: server.url, STATOR_API_TOKEN: TOKEN },
  });
}

beforeAll(async () => {
  stator = await createStator({ store: 'memory', rehydrate: false });
  server = await startHttpServer({ app: createHttpApp({ stator, apiToken: TOKEN }) });
  await stator.registerWorkflow({
    id: 'greet',
    inputs: { name: { type: 'string', default: 'world' } },
    steps: [
      { id: 'a', run: 'echo "hi $INPUT_NAME"' },
      { id: 'b', needs: ['a'], run: 'echo from-b' },
    ],
  });
  await stator.registerWorkflow({
    id: 'broken',
    steps: [
      { id: 'ok', run: 'echo fine' },
      { id: 'bad', needs: ['ok'], run: 'echo boom >&2; exit 3' },
    ],
  });
  await stator.registerWorkflow({
    id: 'slow',
    steps: [{ id: 'tick', run: 'for i in 1 2 3 4; do echo tick-$i; sleep 0.4; done' }],
  });
}, SLOW);

afterAll(async () => {
  await server?.close();
  await stator?.close();
});

describe('stator CLI against a running server', () => {
  it(
    'exec --watch follows a run to the end: exit 0, or 1 naming the failed step',
    { timeout: SLOW },
    async () => {
      const ok = await cli(['exec', 'greet', '--input', 'name=Ada', '--watch']);
      expect(ok.exitCode, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('[a] hi Ada');
      expect(ok.stdout).toContain('[b] completed');
      expect(ok.stdout).toMatch(/execution ex_\S+ completed/);

      const bad = await cli(['exec', 'broken', '--watch']);
      expect(bad.exitCode).toBe(1);
      expect(bad.stdout).toContain('[ok] fine');
      expect(bad.stdout).toMatch(/\[bad\] failed/);
      expect(bad.stdout).toMatch(/execution ex_\S+ failed/);
    },
  );

  it(
    'exec without --watch prints the id; watch of a finished run shows its end',
    { timeout: SLOW },
    async () => {
      const started = await cli(['exec', 'greet']);
      expect(started.exitCode).toBe(0);
      const id = started.stdout.trim();
      expect(id).toMatch(/^ex_/);
      await stator.waitForExecution(id, { timeoutMs: 20_000 });
      const watched = await cli(['watch', id]);
      expect(watched.exitCode).toBe(0);
      const logs = await cli(['logs', id]);
      expect(logs.stdout).toContain('a stdout | hi world');
      expect(logs.stdout).toContain('b stdout | from-b');
    },
  );

  it(
    'retry re-runs a failed run from its failure (--watch), or from a step (--from)',
    { timeout: SLOW },
    async () => {
      const { executionId: first } = await stator.execute('broken', {});
      await stator.waitForExecution(first, { timeoutMs: 20_000 });
      const again = await cli(['retry', first, '--watch']);
      expect(again.exitCode).toBe(1);
      expect(again.stdout).toMatch(/\[bad\] failed/);
      // The step that succeeded is kept: it printed nothing this time.
      expect(again.stdout).not.toContain('[ok] fine');

      const fromOk = await cli(['retry', first, '--from', 'ok']);
      expect(fromOk.exitCode, fromOk.stderr).toBe(0);
      const id = fromOk.stdout.trim();
      const record = await stator.waitForExecution(id, { timeoutMs: 20_000 });
      expect(record.retryOf).toBe(first);
      expect(record.steps.map((s) => s.reused === true)).toEqual([false, false]);

      const unknown = await cli(['retry', first, '--from', 'zz']);
      expect(unknown.exitCode).not.toBe(0);
      expect(unknown.stderr).toContain("no step 'zz'");
    },
  );

  it(
    'logs -f of a running run prints each line once and ends with the run',
    { timeout: SLOW },
    async () => {
      const { executionId } = await stator.execute('slow', {});
      const followed = await cli(['logs', executionId, '-f']);
      expect(followed.exitCode).toBe(0);
      const ticks = followed.stdout.split('\n').filter((l) => l.includes('tick-'));
      expect(ticks).toEqual([1, 2, 3, 4].map((i) => `tick stdout | tick-${i}`));
      expect((await stator.getExecution(executionId))?.status).toBe('completed');
    },
  );

  it('ls shows sessions and runs as tables, and as JSON', { timeout: SLOW }, async () => {
    const listed = await cli(['ls']);
    expect(listed.exitCode).toBe(0);
    expect(listed.stdout).toMatch(/^SESSIONS/);
    expect(listed.stdout).toMatch(/ID\s+WORKFLOW\s+STATUS\s+STARTED\s+DURATION/);
    expect(listed.stdout).toMatch(/ex_\S+\s+greet\s+completed/);
    const json = JSON.parse((await cli(['ls', '--json'])).stdout) as { executions: unknown[] };
    expect(json.executions.length).toBeGreaterThan(0);
  });

  it(
    'attach: piped input reaches the session, its output comes back; detach leaves it running',
    { timeout: SLOW },
    async () => {
      const created = await fetch(`${server.url}/api/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'echoer', command: ['cat'], autostart: true }),
      });
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };

      const piped = await cli(['attach', id], { input: 'first-line\nsecond-line\n' });
      expect(piped.exitCode, piped.stderr).toBe(0);
      expect(piped.stdout).toContain('first-line\nsecond-line');
      expect(piped.stderr).toContain('detached');

      // Ctrl-] detaches at once, before anything after it is sent.
      const detach = cliWithStdin(['attach', id]);
      detach.stdin.write('before-detach\n\x1dafter-detach\n');
      const res = await detach;
      expect(res.exitCode).toBe(0);
      expect(res.stderr).toContain('[detached]');
      const logs = await fetch(`${server.url}/api/sessions/${id}/logs?format=json`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const lines = ((await logs.json()) as { items: Array<{ line: string }> }).items.map(
        (l) => l.line,
      );
      expect(lines).toContain('before-detach');
      expect(lines).not.toContain('after-detach');

      const stillRunning = await cli(['ls', '--json']);
      const sessions = (
        JSON.parse(stillRunning.stdout) as { sessions: Array<{ id: string; status: string }> }
      ).sessions;
      expect(sessions.find((s) => s.id === id)?.status).toBe('running');

      const restarted = await cli(['restart', id]);
      expect(restarted.stdout).toMatch(/echoer: (running|starting)/);
      const stopped = await cli(['stop', id]);
      expect(stopped.exitCode).toBe(0);
      expect(stopped.stdout).toContain('echoer: stopped');
      const started = await cli(['start', id]);
      expect(started.stdout).toMatch(/echoer: (running|starting)/);
      await cli(['stop', id]);
    },
  );

  it(
    'says what went wrong: no token, no server, a bad URL, an unknown id',
    { timeout: SLOW },
    async () => {
      const noToken = await cli(['ls'], { env: { STATOR_API_TOKEN: '' } });
      expect(noToken.exitCode).toBe(1);
      expect(noToken.stderr).toMatch(/token|unauthorized/i);

      const noServer = await cli(['ls', '--url', 'http://127.0.0.1:9']);
      expect(noServer.exitCode).toBe(1);
      expect(noServer.stderr).toContain('cannot reach http://127.0.0.1:9');

      const badUrl = await cli(['ls', '--url', 'ftp://x']);
      expect(badUrl.exitCode).toBe(2);
      expect(badUrl.stderr).toContain('--url');

      const unknown = await cli(['logs', 'nope']);
      expect(unknown.exitCode).toBe(1);
      expect(unknown.stderr).toContain("no run or session 'nope'");
      const unknownWatch = await cli(['watch', 'ex_nope']);
      expect(unknownWatch.exitCode).toBe(1);
      expect(unknownWatch.stderr).toMatch(/not found/);
    },
  );

  it('prints completion scripts the shells parse', { timeout: SLOW }, async () => {
    const bash = await cli(['completion', 'bash']);
    expect(bash.stdout).toContain('complete -F _stator stator');
    const checked = await execa('bash', ['-n'], { input: bash.stdout, reject: false });
    expect(checked.exitCode, checked.stderr).toBe(0);
    const zsh = await cli(['completion', 'zsh']);
    expect(zsh.stdout).toContain('compdef _stator stator');
    expect((await cli(['completion', 'fish'])).exitCode).toBe(2);
  });
});

/**
 * `stator approve` against a real server (HTTP on a free port, token required): a run waiting
 * at an approval step is approved with --by and --comment and goes on, the record keeping who
 * and why; --reject fails the step; a second decision, a non-approver and an unknown id are
 * refused with exit 1 and the server's message.
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';
import { waitFor } from '../../helpers/poll.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const TOKEN = 'approve-cli-token-0123456789';

let stator: Stator;
let server: HttpServerHandle;

function cli(args: string[]) {
  return execa(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: ROOT,
    reject: false,
    timeout: 60_000,
    env: { STATOR_URL: server.url, STATOR_API_TOKEN: TOKEN, USER: 'cli-user' },
  });
}

beforeAll(async () => {
  stator = await createStator({ store: 'memory', rehydrate: false });
  server = await startHttpServer({ app: createHttpApp({ stator, apiToken: TOKEN }) });
  await stator.registerWorkflow({
    id: 'gated',
    steps: [
      { id: 'gate', approval: { message: 'go?', timeout: '10m', approvers: ['ann', 'cli-user'] } },
      { id: 'after', needs: ['gate'], noop: true },
    ],
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await stator?.close({ stopProcesses: true });
});

async function waitingRun(): Promise<string> {
  const { executionId } = await stator.execute('gated');
  await waitFor(async () =>
    (await stator.getExecution(executionId)).status === 'awaiting_approval' ? true : undefined,
  );
  return executionId;
}

describe('stator approve', () => {
  it(
    'approves with --by and --comment; a second decision is refused',
    { timeout: 60_000 },
    async () => {
      const id = await waitingRun();
      const r = await cli(['approve', id, '--by', 'ann', '--comment', 'ship it']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${id} gate: approved by ann at `));
      const done = await stator.waitForExecution(id, { timeoutMs: 10_000 });
      expect(done.status).toBe('completed');
      expect(done.steps[0]!.approval?.decision).toMatchObject({ by: 'ann', comment: 'ship it' });
      const again = await cli(['approve', id, '--reject']);
      expect(again.exitCode).toBe(1);
      expect(again.stderr).toContain("already approved by 'ann'");
    },
  );

  it(
    '--reject (by the login name) fails the step; refusals exit 1',
    { timeout: 60_000 },
    async () => {
      const id = await waitingRun();
      const stranger = await cli(['approve', id, '--by', 'eve']);
      expect(stranger.exitCode).toBe(1);
      expect(stranger.stderr).toContain("'eve' may not decide");
      const r = await cli(['approve', id, '--step', 'gate', '--reject', '--comment', 'no']);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain('gate: rejected by cli-user');
      expect((await stator.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('failed');
      const unknown = await cli(['approve', 'ex_nope']);
      expect(unknown.exitCode).toBe(1);
      expect(unknown.stderr).toContain('not found');
      expect((await cli(['approve'])).exitCode).toBe(2);
    },
  );
});

/**
 * `stator pause|resume` against a real server (HTTP on a free port, token required): a run
 * paused by the login name starts no further step; resumed, it completes. An unknown run and a
 * finished one are refused with exit 1; no id is a usage error (2).
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';
import { waitFor } from '../../helpers/poll.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const TOKEN = 'pause-cli-token-0123456789';

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
    id: 'pair',
    steps: [
      { id: 'one', run: 'sleep 2' },
      { id: 'two', needs: ['one'], noop: true },
    ],
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await stator?.close({ stopProcesses: true });
});

describe('stator pause and resume', () => {
  it(
    'pauses by the login name, resumes, refuses what cannot be paused',
    { timeout: 60_000 },
    async () => {
      const { executionId: id } = await stator.execute('pair');
      await waitFor(async () =>
        (await stator.getExecution(id)).steps[0]!.status === 'running' ? true : undefined,
      );
      const r = await cli(['pause', id]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^${id} paused by cli-user at `));
      await waitFor(async () =>
        (await stator.getExecution(id)).steps[0]!.status === 'succeeded' ? true : undefined,
      );
      expect((await stator.getExecution(id)).steps[1]!.status).toBe('pending');
      const resumed = await cli(['resume', id]);
      expect(resumed.exitCode, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain('not paused');
      expect((await stator.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
      const over = await cli(['pause', id]);
      expect(over.exitCode).toBe(1);
      expect(over.stderr).toContain('already completed');
      const unknown = await cli(['resume', 'ex_nope']);
      expect(unknown.exitCode).toBe(1);
      expect(unknown.stderr).toContain('not found');
      expect((await cli(['pause'])).exitCode).toBe(2);
    },
  );
});

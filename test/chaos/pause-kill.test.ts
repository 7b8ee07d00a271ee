/**
 * Chaos: kill -9 of the server while a run is paused (its pause answered 200, step one
 * finished), then a restart on the same data directory: the run is still paused and starts
 * nothing for seconds; resumed, it completes with each step run exactly once.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRig, disposeRigs, sleep } from './harness.ts';

afterEach(disposeRigs);

interface Run {
  status: string;
  paused?: { by: string; reason: string };
  steps: Array<{ id: string; status: string }>;
}

describe('chaos: kill -9 while a run is paused', () => {
  it(
    'restarts still paused, starting nothing; resumed, each step runs once',
    { timeout: 90_000 },
    async () => {
      const rig = await createRig('pause-kill');
      const { api, markersDir } = rig;
      const file = join(markersDir, 'trace');
      await rig.start();
      await api.register({
        id: 'chain',
        steps: [
          { id: 'one', run: `sleep 1; echo one >> ${file}` },
          { id: 'two', needs: ['one'], run: `echo two >> ${file}` },
          { id: 'three', needs: ['two'], run: `echo three >> ${file}` },
        ],
      });
      const id = await api.execute('chain', {});
      const get = (x: string) => api.call<Run>('GET', `/api/executions/${x}`);
      const until = async (what: string, check: (run: Run) => boolean) => {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const run = await get(id).catch(() => undefined);
          if (run && check(run)) return run;
          if (Date.now() > deadline) throw new Error(`${what}\n${rig.diagnostics()}`);
          await sleep(50);
        }
      };
      await until('one running', (r) => r.steps[0]!.status === 'running');
      const answer = await api.call<Run>('POST', `/api/executions/${id}/pause`, { by: 'ops' });
      expect(answer.paused).toMatchObject({ by: 'ops', reason: 'request' });
      await until('one done', (r) => r.steps[0]!.status === 'succeeded');
      await rig.kill9();
      await sleep(200);
      await rig.start();
      await sleep(2000);
      const after = await get(id);
      expect(after.status, rig.diagnostics()).toBe('running');
      expect(after.paused).toMatchObject({ by: 'ops', reason: 'request' });
      expect(after.steps.map((s) => s.status)).toEqual(['succeeded', 'pending', 'pending']);
      await api.call('POST', `/api/executions/${id}/resume`, { by: 'ops' });
      const records = await rig.waitFinal([id], 40_000);
      expect(records.get(id)?.status, rig.diagnostics()).toBe('completed');
      const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
      expect(lines).toEqual(['one', 'two', 'three']);
    },
  );
});

/**
 * Chaos: kill -9 of the server while a failed run rolls back (b's rollback done, a's running),
 * then a restart on the same data directory: the run goes on rolling back where it was. b's
 * rollback does not run again; a's, whose process the process host kept, is re-attached, not
 * started again; the run ends failed with both rolled back, each rollback run exactly once, and
 * with its original error (c's). The same after a run timeout: the run ends timed_out with the
 * timeout's error, not failed (the error is stored on the record as the rollback begins).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRig, disposeRigs, sleep } from './harness.ts';

afterEach(disposeRigs);

interface Run {
  status: string;
  error: { code: string; message: string } | null;
  steps: Array<{ id: string; status: string; rollback?: { status: string; attempts: number } }>;
}

describe('chaos: kill -9 while a run rolls back', () => {
  it(
    'restarts rolling back the rest; each rollback runs exactly once',
    { timeout: 90_000 },
    async () => {
      const rig = await createRig('rollback-kill');
      const { api, markersDir } = rig;
      const file = join(markersDir, 'trace');
      const log = (line: string) => `echo '${line}' >> ${file}`;
      await rig.start();
      await api.register({
        id: 'undo',
        steps: [
          {
            id: 'a',
            run: log('a'),
            rollback: { run: `${log('undo a start')}; sleep 2; ${log('undo a end')}` },
          },
          { id: 'b', needs: ['a'], run: log('b'), rollback: { run: log('undo b') } },
          { id: 'c', needs: ['b'], run: `${log('c')}; exit 1` },
        ],
      });
      const id = await api.execute('undo', {});
      const get = (x: string) => api.call<Run>('GET', `/api/executions/${x}`);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const run = await get(id).catch(() => undefined);
        const a = run?.steps.find((s) => s.id === 'a');
        const b = run?.steps.find((s) => s.id === 'b');
        if (a?.rollback?.status === 'rolling_back' && b?.rollback?.status === 'rolled_back') {
          expect(run!.status).toBe('rolling_back');
          break;
        }
        if (Date.now() > deadline)
          throw new Error(`a's rollback not running\n${rig.diagnostics()}`);
        await sleep(20);
      }
      await rig.kill9();
      await sleep(200);
      await rig.start();
      const records = await rig.waitFinal([id], 40_000);
      expect(records.get(id)?.status, rig.diagnostics()).toBe('failed');
      expect(records.get(id)?.error).toMatchObject({
        code: 'non_retryable',
        message: expect.stringContaining("step 'c' failed"),
      });
      const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
      expect(lines).toEqual(['a', 'b', 'c', 'undo b', 'undo a start', 'undo a end']);
      const after = await get(id);
      const byId = new Map(after.steps.map((s) => [s.id, s]));
      expect(byId.get('a')!.rollback).toMatchObject({ status: 'rolled_back', attempts: 1 });
      expect(byId.get('b')!.rollback).toMatchObject({ status: 'rolled_back', attempts: 1 });
    },
  );

  it(
    'after a run timeout: restarts rolling back and ends timed_out with the timeout error',
    { timeout: 90_000 },
    async () => {
      const rig = await createRig('rollback-timeout-kill');
      const { api, markersDir } = rig;
      const file = join(markersDir, 'trace');
      const log = (line: string) => `echo '${line}' >> ${file}`;
      await rig.start();
      await api.register({
        id: 'undo-late',
        timeout: '1s',
        steps: [
          {
            id: 'a',
            run: log('a'),
            rollback: { run: `${log('undo a start')}; sleep 3; ${log('undo a end')}` },
          },
          { id: 'b', needs: ['a'], run: `${log('b')}; sleep 30` },
        ],
      });
      const id = await api.execute('undo-late', {});
      const get = (x: string) => api.call<Run>('GET', `/api/executions/${x}`);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const run = await get(id).catch(() => undefined);
        const a = run?.steps.find((s) => s.id === 'a');
        if (a?.rollback?.status === 'rolling_back') {
          expect(run!.status).toBe('rolling_back');
          // The original failure is on the record from the start of the rollback.
          expect(run!.error).toMatchObject({ code: 'timeout' });
          break;
        }
        if (Date.now() > deadline)
          throw new Error(`a's rollback not running\n${rig.diagnostics()}`);
        await sleep(20);
      }
      await rig.kill9();
      await sleep(200);
      await rig.start();
      const records = await rig.waitFinal([id], 40_000);
      expect(records.get(id)?.status, rig.diagnostics()).toBe('timed_out');
      expect(records.get(id)?.error).toMatchObject({
        code: 'timeout',
        message: 'run timed out after 1000 ms',
      });
      const lines = (await readFile(file, 'utf8')).split('\n').filter(Boolean);
      expect(lines).toEqual(['a', 'b', 'undo a start', 'undo a end']);
      const after = await get(id);
      const byId = new Map(after.steps.map((s) => [s.id, s]));
      expect(byId.get('a')!.rollback).toMatchObject({ status: 'rolled_back', attempts: 1 });
      expect(byId.get('b')).toMatchObject({ status: 'timed_out' });
    },
  );
});

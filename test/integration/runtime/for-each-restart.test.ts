/**
 * forEach across a server restart with the process host, in the window a kill -9 can leave: the
 * host holds an instance's process (here it has even finished) but the store never got the
 * instance's first record (`step.started` is written after the spawn is asked for, as for any
 * step). The next server must treat that instance as a declared step that was about to start:
 * its start-up sweep keeps the held process, the resumed fan-out starts the instance at
 * attempt 1 under the same key and so re-attaches to it and gets its real exit. Releasing it
 * (the bug) ran the instance a second time. The window is made exactly: a graceful stop leaves
 * the processes to the host, and the instance's row is deleted as if its write had been lost.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

const ITEMS = ['i0', 'i1', 'i2'];

async function lines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

describe('forEach: restart with an instance held by the host but not yet recorded', () => {
  const t = useStator({ start: 'manual' });

  it(
    're-attaches to the held instance instead of running it again',
    { timeout: 60_000 },
    async () => {
      const dataDir = t.tempDir('stator-rt-fan-restart-');
      const gate = join(t.files, 'gate');
      const items = join(t.files, 'items');
      const first = await createStator({ dataDir, node: 'first-node', shutdownGraceMs: 0 });
      let executionId: string;
      try {
        await first.registerWorkflow({
          id: 'fan',
          steps: [
            {
              id: 'each',
              forEach: ITEMS,
              concurrency: ITEMS.length,
              // Says it runs, waits for the gate (30 s at most: never an orphan), then records its
              // item once.
              exec: [
                'sh',
                '-c',
                `touch ${t.files}/up-$1; n=0; while [ ! -e ${gate} ] && [ $n -lt 1500 ]; do sleep 0.02; n=$((n+1)); done; echo "$1" >> ${items}`,
                'sh',
                '${{ item }}',
              ],
            },
          ],
        });
        ({ executionId } = await first.execute('fan', {}));
        await waitFor(
          async () => {
            const record = await first.getExecution(executionId);
            return (
              ITEMS.every((item) => existsSync(join(t.files, `up-${item}`))) &&
              record?.steps.filter((s) => s.id.startsWith('each[') && s.status === 'running')
                .length === ITEMS.length
            );
          },
          { timeoutMs: 15_000, message: 'instances running' },
        );
      } finally {
        // Graceful with a host: the runs stay as stored and the processes run on in the host.
        await first.close();
      }

      // The state of a kill -9 between the spawn of each[0] and the write of its step.started.
      const db = new Database(join(dataDir, 'stator.db'));
      try {
        const gone = db
          .prepare('DELETE FROM steps WHERE execution_id = ? AND step_id = ?')
          .run(executionId, 'each[0]');
        expect(gone.changes).toBe(1);
      } finally {
        db.close();
      }
      // Every instance ends while no server is up: the host records each real exit.
      await writeFile(gate, '');
      await waitFor(async () => (await lines(items)).length === ITEMS.length, {
        timeoutMs: 15_000,
        message: 'instances done in the host',
      });

      await t.start({ dataDir, node: 'second-node' });
      const record = await t.finish(executionId, 30_000);
      expect(record.status).toBe('completed');
      // Each item's process ran once: none was started again after the restart.
      expect((await lines(items)).sort()).toEqual(ITEMS);
      const instances = record.steps.filter((s) => s.id.startsWith('each['));
      expect(instances.map((s) => [s.id, s.status, s.attempts, s.exitCode]).sort()).toEqual(
        ITEMS.map((_, n) => [`each[${n}]`, 'succeeded', 1, 0]),
      );
    },
  );
});

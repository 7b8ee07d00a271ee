/**
 * The process host killed (SIGKILL) while the server goes on: the server connects to a new host,
 * whose start reaps the dead one's processes; the step that was running comes back `lost` and
 * runs again without using up a retry attempt; later runs go through the new host.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveHostPaths } from '../../../src/host/index.ts';
import { waitGone } from '../../fixtures/exec/process-tracker.ts';
import { readPid } from '../../helpers/stator.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

const hostPidOf = (dataDir: string): number =>
  (JSON.parse(readFileSync(resolveHostPaths(dataDir).infoFile, 'utf8')) as { pid: number }).pid;

describe('runtime: the process host dies while the server runs', () => {
  const t = useStator({ start: 'each' });

  it('reaps the dead host, reruns the lost step once without using a retry, and goes on', async () => {
    await t.stator.registerWorkflow({
      id: 'held',
      inputs: { dir: { type: 'string' } },
      steps: [
        {
          id: 'work',
          retry: { attempts: 1 },
          run: [
            'echo "attempt $STATOR_ATTEMPT" >> "$INPUT_DIR/runs"',
            // Only the very first attempt (of any run) holds on until it is killed.
            'if [ ! -e "$INPUT_DIR/held" ]; then : > "$INPUT_DIR/held"; echo $$ > "$INPUT_DIR/work.pid"; exec sleep 30; fi',
            'echo done',
          ].join('\n'),
        },
        { id: 'after', needs: ['work'], run: 'echo after' },
      ],
    });
    const { executionId } = await t.stator.execute('held', { dir: t.files });
    const first = await readPid(join(t.files, 'work.pid'), 15_000);
    const deadHost = hostPidOf(t.dataDir);

    process.kill(deadHost, 'SIGKILL');
    // The new host's start kills what the dead one held, by its recorded process group.
    expect(await waitGone(first, 15_000)).toBe(true);
    const record = await t.finish(executionId, 30_000);

    expect(record.status).toBe('completed');
    const work = record.steps.find((s) => s.id === 'work')!;
    // Its policy allows one attempt: the lost one did not count.
    expect(work).toMatchObject({ status: 'succeeded', attempts: 2, lostAttempts: 1 });
    expect(readFileSync(join(t.files, 'runs'), 'utf8').trim().split('\n')).toEqual([
      'attempt 1',
      'attempt 2',
    ]);
    const newHost = await waitFor(() => {
      const pid = hostPidOf(t.dataDir);
      return pid !== deadHost && pid;
    });
    expect(newHost).not.toBe(deadHost);

    // Later runs go through the new host.
    const later = await t.run('held', { dir: t.files });
    expect(later.record.status).toBe('completed');
  }, 60_000);
});

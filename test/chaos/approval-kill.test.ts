/**
 * Chaos: kill -9 of the server while runs wait for an approval, then a restart on the same data
 * directory: they still wait, with the deadline they had (durable time), and are listed; one
 * approved after the restart completes exactly once. A decision answered 200 right before a
 * kill -9 is not lost: after the restart the run goes on with it, never asking again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRig, disposeRigs, sleep } from './harness.ts';

afterEach(disposeRigs);

interface Approval {
  attempt: number;
  since: string;
  deadline: string;
  decision?: { approved: boolean; by: string; at: string; comment?: string };
}
interface Run {
  status: string;
  steps: Array<{ id: string; status: string; approval?: Approval }>;
}

describe('chaos: kill -9 while runs wait for an approval', () => {
  it(
    'they keep waiting with their deadline; no decision is lost',
    { timeout: 90_000 },
    async () => {
      const rig = await createRig('approval-kill');
      const { api, markersDir } = rig;
      const file = join(markersDir, 'shipped');
      await rig.start();
      await api.register({
        id: 'gated',
        inputs: { name: { type: 'string' } },
        steps: [
          { id: 'gate', approval: { message: 'ship ${{ inputs.name }}?', timeout: '10m' } },
          {
            id: 'ship',
            needs: ['gate'],
            exec: ['sh', '-c', `echo "$1" >> ${file}`, 'sh', '${{ inputs.name }}'],
          },
        ],
      });
      const a = await api.execute('gated', { name: 'a' });
      const b = await api.execute('gated', { name: 'b' });
      const get = (id: string) => api.call<Run>('GET', `/api/executions/${id}`);
      const waiting = async (id: string) => {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const run = await get(id).catch(() => undefined);
          if (run?.status === 'awaiting_approval') return run.steps[0]!.approval!;
          if (Date.now() > deadline) throw new Error(`${id} not waiting\n${rig.diagnostics()}`);
          await sleep(50);
        }
      };
      const before = [await waiting(a), await waiting(b)];
      await rig.kill9();
      await sleep(200);
      await rig.start();
      const after = [await waiting(a), await waiting(b)];
      expect(after.map((x) => x.deadline)).toEqual(before.map((x) => x.deadline));
      const listed = await api.call<{ items: Array<{ executionId: string }> }>(
        'GET',
        '/api/approvals',
      );
      expect(listed.items.map((x) => x.executionId).sort()).toEqual([a, b].sort());

      // Approved after the restart: completes, once.
      await api.call('POST', `/api/executions/${a}/approve`, {
        by: 'ops',
        comment: 'after restart',
      });
      // Approved right before a kill -9: the 200 means it is stored.
      const answer = await api.call<{ approved: boolean }>('POST', `/api/executions/${b}/approve`, {
        by: 'ops',
        comment: 'then crash',
      });
      expect(answer.approved).toBe(true);
      await rig.kill9();
      await rig.start();
      const records = await rig.waitFinal([a, b], 40_000);
      expect(records.get(a)?.status, rig.diagnostics()).toBe('completed');
      expect(records.get(b)?.status, rig.diagnostics()).toBe('completed');
      const finalB = await get(b);
      expect(finalB.steps[0]!.approval!.decision).toMatchObject({
        approved: true,
        by: 'ops',
        comment: 'then crash',
      });
      const shipped = (await readFile(file, 'utf8')).split('\n').filter(Boolean).sort();
      expect(shipped).toEqual(['a', 'b']);
    },
  );
});

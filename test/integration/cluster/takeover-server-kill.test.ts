/**
 * Takeover after only the server of a node is killed (kill -9 of the service process; its
 * process host and the step processes it holds live on, as after an OOM kill or a crash). Two
 * `stator serve --nats` nodes with a 3 s lease TTL share runs of one long step that ticks into
 * the marker file every 100 ms. n1's server is killed while it runs several of them: its host
 * is no longer leashed, so it stops those processes (recorded lost) after half the TTL, before
 * n2 may judge n1 dead and run them again. No tick of n1's copy comes after n2's copy started:
 * never two copies of one step at once. Every run completes once, with the lost attempt counted.
 */
import { describe, expect, it } from 'vitest';
import { isGone } from '../../fixtures/exec/process-tracker.ts';
import { tail } from '../../fixtures/cluster/stator-node.ts';
import {
  countWithStatus,
  cutOff,
  enqueueRuns,
  readMarks,
  startedTwice,
  statuses,
  useTakeoverCluster,
  type StepView,
} from '../../fixtures/cluster/takeover.ts';
import { waitFor } from '../../helpers/poll.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const TTL_MS = 3000;
const RUNS = 10;
/** `start`, a tick every 100 ms for 6 s, `end`. */
const tick = (phase: string) =>
  `echo "$STATOR_EXECUTION_ID nap ${phase} $STATOR_ATTEMPT $NODE_TAG $(date +%s%3N)" >> "$MARKS"`;
const WORKFLOW = {
  id: 'ticking',
  steps: [
    {
      id: 'nap',
      run: [
        tick('start'),
        'i=0',
        'while [ $i -lt 60 ]; do',
        tick('tick'),
        'sleep 0.1',
        'i=$((i+1))',
        'done',
        tick('end'),
      ].join('\n'),
    },
  ],
};

const cluster = useTakeoverCluster();

describe('cluster takeover: only the server of a node killed', () => {
  it(
    'its host stops the steps before another node runs them again; every run completes',
    { timeout: 120_000 },
    async () => {
      const { client } = cluster;
      const {
        prefix,
        marks,
        nodes: [n1, n2],
      } = await cluster.startPair('s', ['--lease-ttl', `${TTL_MS}ms`]);
      expect(await client.api('workflow.register', WORKFLOW)).toMatchObject({ ok: true });
      const ids = Array.from({ length: RUNS }, (_, i) => `${prefix}-${i}`);
      await enqueueRuns(client, WORKFLOW.id, ids);
      await waitFor(async () => cutOff(await readMarks(marks), 'nap', 'n1').length >= 2, {
        timeoutMs: 60_000,
        intervalMs: 50,
        message: 'n1 running steps',
      });
      const host = JSON.parse(readFileSync(join(n1.dataDir, 'host', 'host.json'), 'utf8')) as {
        pid: number;
      };
      n1.signal('SIGKILL'); // the server alone
      const killedAt = Date.now();
      await n1.exited;
      const cut = cutOff(await readMarks(marks), 'nap', 'n1');
      expect(cut.length).toBeGreaterThanOrEqual(2);
      expect(isGone(host.pid)).toBe(false); // the host outlived its server

      await waitFor(
        async () => (await countWithStatus(client, WORKFLOW.id, 'completed')) === RUNS,
        {
          timeoutMs: 90_000,
          intervalMs: 250,
          message: 'every run completed',
        },
      ).catch(async (err: Error) => {
        const by = await statuses(client, WORKFLOW.id).catch(() => ({}));
        throw new Error(`${err.message}: ${JSON.stringify(by)}\n${tail(n2.output, 30)}`);
      });
      const all = await readMarks(marks);
      expect(startedTwice(all)).toEqual([]);
      for (const c of cut) {
        const mine = all.filter((m) => m.executionId === c.executionId);
        const lastOld = Math.max(...mine.filter((m) => m.node === 'n1').map((m) => m.at));
        const again = mine.find((m) => m.phase === 'start' && m.attempt === c.attempt + 1);
        expect(again, `${c.executionId} ran again`).toMatchObject({ node: 'n2' });
        // The old copy was stopped before the new one started, and by the leash (half the TTL,
        // plus slack for a loaded machine), not at the end of its 6 s.
        expect(lastOld).toBeLessThan(again!.at);
        expect(lastOld - killedAt).toBeLessThan(TTL_MS / 2 + 1500);
        expect(mine.some((m) => m.node === 'n1' && m.phase === 'end')).toBe(false);
        const record = await client.call<{ status: string; steps: StepView[] }>('execution.get', {
          id: c.executionId,
        });
        expect(record.status).toBe('completed');
        expect(record.steps[0]).toMatchObject({
          status: 'succeeded',
          attempts: c.attempt + 1,
          lostAttempts: 1,
        });
      }
    },
  );
});

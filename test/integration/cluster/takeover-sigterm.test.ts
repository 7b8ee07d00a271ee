/**
 * Takeover after a graceful stop: of two nodes sharing 16 runs of one long step, the node running
 * more of them is told to stop (SIGTERM) while its steps run longer than its shutdown timeout. It
 * stops them, hands its leases over as it exits, and the other node claims them at once (well
 * within the 3 s lease TTL: no waiting for them to expire) and runs the cut-off steps again as
 * lost attempts. Every run completes; no attempt ran twice, and nothing of the stopped node ran
 * on after it exited.
 */
import { describe, expect, it } from 'vitest';
import { tail } from '../../fixtures/cluster/stator-node.ts';
import {
  countWithStatus,
  cutOff,
  enqueueRuns,
  markedStep,
  readMarks,
  startedTwice,
  statuses,
  useTakeoverCluster,
  type StepView,
} from '../../fixtures/cluster/takeover.ts';
import { waitFor } from '../../helpers/poll.ts';

const TTL_MS = 3000;
const RUNS = 16;
/** Longer than the shutdown timeout below: the stopping node cannot wait for them. */
const STEP_SECONDS = 10;
const WORKFLOW = { id: 'long-step', steps: [markedStep('nap', STEP_SECONDS)] };

const cluster = useTakeoverCluster();

describe('cluster takeover: a node stopped with SIGTERM', () => {
  it(
    'hands its runs over as it exits; the other node resumes them at once',
    { timeout: 90_000 },
    async () => {
      const { client } = cluster;
      const { prefix, marks, nodes } = await cluster.startPair('t', [
        '--lease-ttl',
        `${TTL_MS}ms`,
        '--shutdown-timeout',
        '5s',
      ]);
      expect(await client.api('workflow.register', WORKFLOW)).toMatchObject({ ok: true });
      const ids = Array.from({ length: RUNS }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
      await enqueueRuns(client, WORKFLOW.id, ids);
      const running = async () => {
        const m = await readMarks(marks);
        return [cutOff(m, 'nap', 'n1').length, cutOff(m, 'nap', 'n2').length] as const;
      };
      await waitFor(async () => (await running()).reduce((a, b) => a + b) === RUNS, {
        timeoutMs: 30_000,
        message: 'every step started',
      });
      // The node running more of them stops; the other one has a slot for each.
      const [onN1, onN2] = await running();
      const [victim, survivor] = onN1 >= onN2 ? [nodes[0]!, nodes[1]!] : [nodes[1]!, nodes[0]!];

      victim.signal('SIGTERM');
      const exit = await victim.exited;
      const exitedAt = Date.now();
      expect(exit, tail(victim.output)).toEqual({ code: 0, signal: null });
      expect(victim.output.some((l) => l.includes('leases: handed over'))).toBe(true);
      const cut = cutOff(await readMarks(marks), 'nap', victim.name);
      expect(cut).toHaveLength(Math.max(onN1, onN2));

      await waitFor(
        async () => (await countWithStatus(client, WORKFLOW.id, 'completed')) === RUNS,
        {
          timeoutMs: 40_000,
          intervalMs: 250,
          message: 'every run completed',
        },
      ).catch(async (err: Error) => {
        const by = await statuses(client, WORKFLOW.id).catch(() => ({}));
        throw new Error(`${err.message}: ${JSON.stringify(by)}\n${tail(survivor.output, 30)}`);
      });
      const all = await readMarks(marks);
      expect(startedTwice(all)).toEqual([]);
      expect(all.filter((m) => m.node === victim.name && m.at > exitedAt)).toEqual([]);
      for (const c of cut) {
        const again = all.find(
          (m) => m.executionId === c.executionId && m.phase === 'start' && m.attempt === 2,
        );
        expect(again, `${c.executionId} resumed`).toMatchObject({ node: survivor.name });
        // Claimed at once: no waiting for the lease to expire.
        expect(again!.at - exitedAt).toBeLessThan(TTL_MS);
        const record = await client.call<{ status: string; steps: StepView[] }>('execution.get', {
          id: c.executionId,
        });
        expect(record.status).toBe('completed');
        expect(record.steps[0]).toMatchObject({
          status: 'succeeded',
          attempts: 2,
          lostAttempts: 1,
        });
      }
    },
  );
});

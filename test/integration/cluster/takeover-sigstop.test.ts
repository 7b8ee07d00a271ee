/**
 * A node that comes back after losing its leases: of two nodes sharing runs of one long step,
 * the one running more of them (n1 below) is frozen (SIGSTOP) for longer than the 3 s lease
 * TTL; n2 declares it dead, claims its runs and runs the cut-off steps again as lost attempts.
 * When n1 wakes (SIGCONT) its heartbeat finds it was declared dead: it stops its stale copies
 * (their processes are killed before they end, and nothing they report is stored) and carries
 * on as a new node. Every run completes once, with the attempt n2 ran; each step attempt
 * started once.
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
const RUNS = 8;
/** Outlasts the freeze: n1's stale copies would still be running when it wakes. */
const STEP_SECONDS = 15;
const FREEZE_MS = 7000;
const WORKFLOW = { id: 'frozen', steps: [markedStep('nap', STEP_SECONDS)] };

const cluster = useTakeoverCluster();

describe('cluster takeover: a node frozen past its lease', () => {
  it(
    'stops its stale copies when it wakes; each attempt ran once',
    { timeout: 90_000 },
    async () => {
      const { client } = cluster;
      const { prefix, marks, nodes } = await cluster.startPair('f', ['--lease-ttl', `${TTL_MS}ms`]);
      expect(await client.api('workflow.register', WORKFLOW)).toMatchObject({ ok: true });
      const ids = Array.from({ length: RUNS }, (_, i) => `${prefix}-${i}`);
      await enqueueRuns(client, WORKFLOW.id, ids);
      const running = async () => {
        const m = await readMarks(marks);
        return [cutOff(m, 'nap', 'n1'), cutOff(m, 'nap', 'n2')] as const;
      };
      await waitFor(async () => (await running()).flat().length === RUNS, {
        timeoutMs: 30_000,
        message: 'every step started',
      });
      // The node running more of them is frozen; the other takes them over.
      const [onN1, onN2] = await running();
      const [n1, n2, frozen] =
        onN1.length >= onN2.length ? [nodes[0]!, nodes[1]!, onN1] : [nodes[1]!, nodes[0]!, onN2];

      n1.signal('SIGSTOP');
      const frozenAt = Date.now();
      // n2 takes every run of n1 over while n1 is frozen.
      await waitFor(
        async () =>
          (await readMarks(marks)).filter((m) => m.node === n2.name && m.attempt === 2).length ===
          frozen.length,
        { timeoutMs: TTL_MS + 5000 + 5000, intervalMs: 100, message: 'n2 took every run over' },
      );
      const tookOverMs = Date.now() - frozenAt;
      await new Promise((r) => setTimeout(r, Math.max(0, frozenAt + FREEZE_MS - Date.now())));
      n1.signal('SIGCONT');
      await waitFor(() => n1.output.some((l) => l.includes('this node was declared dead')), {
        timeoutMs: 10_000,
        message: 'n1 learnt it lost its leases',
      });

      await waitFor(
        async () => (await countWithStatus(client, WORKFLOW.id, 'completed')) === RUNS,
        {
          timeoutMs: 45_000,
          intervalMs: 250,
          message: 'every run completed',
        },
      ).catch(async (err: Error) => {
        const by = await statuses(client, WORKFLOW.id).catch(() => ({}));
        throw new Error(`${err.message}: ${JSON.stringify(by)}\n${tail(n1.output, 30)}`);
      });
      const all = await readMarks(marks);
      expect(tookOverMs).toBeLessThan(TTL_MS + 5000 + 3000);
      expect(startedTwice(all)).toEqual([]);
      // n1's stale copies never reached their end: their processes were killed when it woke.
      expect(all.filter((m) => m.node === n1.name && m.phase === 'end')).toEqual([]);
      expect(n1.gone).toBe(false);
      for (const { executionId: id } of frozen) {
        const record = await client.call<{ status: string; node: string; steps: StepView[] }>(
          'execution.get',
          { id },
        );
        expect(record.status).toBe('completed');
        expect(record.steps[0]).toMatchObject({
          status: 'succeeded',
          attempts: 2,
          lostAttempts: 1,
        });
        const ends = all.filter((m) => m.executionId === id && m.phase === 'end');
        expect(ends).toEqual([expect.objectContaining({ node: n2.name, attempt: 2 })]);
      }
    },
  );
});

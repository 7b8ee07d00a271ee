/**
 * Takeover after a node dies (kill -9 of the node and its step processes, as when its machine
 * goes): two `stator serve --nats` nodes with a 3 s lease TTL share a burst of 200 runs of a
 * two-step workflow (a quick step, then a 2 s one), and one is killed mid-burst. The other
 * claims the dead node's leases within TTL + 5 s and resumes those runs from their stored step
 * states: the succeeded first step is kept (never run again), the cut-off second step runs again
 * as a lost attempt. Every run completes, no step attempt ran twice, nothing of the dead node
 * runs afterwards. Markers appended by the steps count every attempt on either node.
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
const BURST = 200;
const WORKFLOW = {
  id: 'two-steps',
  steps: [markedStep('one', 0), markedStep('two', 2, ['one'])],
};

const cluster = useTakeoverCluster();

describe('cluster takeover: a node killed mid-burst', () => {
  it(
    'has its runs taken over within TTL + 5 s; every run completes, no step twice',
    { timeout: 90_000 },
    async () => {
      const { client } = cluster;
      const {
        prefix,
        marks,
        nodes: [n1, n2],
      } = await cluster.startPair('k', ['--lease-ttl', `${TTL_MS}ms`]);
      expect(await client.api('workflow.register', WORKFLOW)).toMatchObject({ ok: true });

      const ids = Array.from(
        { length: BURST },
        (_, i) => `${prefix}-${String(i).padStart(3, '0')}`,
      );
      await enqueueRuns(client, WORKFLOW.id, ids);
      // Mid-burst: some runs are done, and n1 is in the middle of several second steps.
      await waitFor(
        async () => {
          const m = await readMarks(marks);
          const ended = m.filter((x) => x.stepId === 'two' && x.phase === 'end').length;
          return ended >= 40 && cutOff(m, 'two', 'n1').length >= 4;
        },
        { timeoutMs: 60_000, intervalMs: 50, message: 'n1 running second steps mid-burst' },
      );
      await n1.kill();
      const killedAt = Date.now();
      const atKill = await readMarks(marks);
      const cut = cutOff(atKill, 'two', 'n1');
      expect(cut.length).toBeGreaterThanOrEqual(4);

      await waitFor(
        async () => (await countWithStatus(client, WORKFLOW.id, 'completed')) === BURST,
        {
          timeoutMs: 70_000,
          intervalMs: 250,
          message: 'every run completed',
        },
      ).catch(async (err: Error) => {
        const by = await statuses(client, WORKFLOW.id).catch(() => ({}));
        throw new Error(`${err.message}: ${JSON.stringify(by)}\n${tail(n2.output, 30)}`);
      });
      // Longer than a second step: anything of n1 still running would mark by now.
      await new Promise((r) => setTimeout(r, 2500));
      const all = await readMarks(marks);

      expect(startedTwice(all)).toEqual([]);
      expect(all.filter((m) => m.node === 'n1' && m.at > killedAt + 50)).toEqual([]);
      for (const c of cut) {
        const mine = all.filter((m) => m.executionId === c.executionId);
        // The succeeded first step was kept: it ran once, on n1.
        expect(mine.filter((m) => m.stepId === 'one' && m.phase === 'start')).toHaveLength(1);
        // The cut-off second step ran again on n2 as the next attempt, within TTL + 5 s.
        const again = mine.find(
          (m) => m.stepId === 'two' && m.phase === 'start' && m.attempt === c.attempt + 1,
        );
        expect(again, `${c.executionId} resumed`).toMatchObject({ node: 'n2' });
        expect(again!.at - killedAt).toBeLessThanOrEqual(TTL_MS + 5000);
        const record = await client.call<{ status: string; steps: StepView[] }>('execution.get', {
          id: c.executionId,
        });
        expect(record.status).toBe('completed');
        expect(record.steps.find((s) => s.id === 'one')).toMatchObject({
          status: 'succeeded',
          attempts: 1,
        });
        expect(record.steps.find((s) => s.id === 'two')).toMatchObject({
          status: 'succeeded',
          attempts: c.attempt + 1,
          lostAttempts: 1,
        });
      }
      // No attempt started twice (above); the attempt each record ends with started and ended once.
      // An earlier attempt may have ended too: a lost one, cut off before n1 stored its outcome.
      for (let i = 0; i < ids.length; i += 20) {
        const records = await Promise.all(
          ids
            .slice(i, i + 20)
            .map((id) => client.call<{ id: string; steps: StepView[] }>('execution.get', { id })),
        );
        for (const r of records) {
          for (const step of r.steps) {
            const of = all.filter((m) => m.executionId === r.id && m.stepId === step.id);
            // A lost attempt may have been cut off before its process marked anything.
            const starts = of.filter((m) => m.phase === 'start');
            expect(starts.length).toBeLessThanOrEqual(step.attempts);
            expect(starts.filter((m) => m.attempt === step.attempts)).toHaveLength(1);
            expect(of.filter((m) => m.phase === 'end' && m.attempt === step.attempts)).toHaveLength(
              1,
            );
            const earlierEnds = of.filter((m) => m.phase === 'end' && m.attempt < step.attempts);
            expect(earlierEnds.length).toBeLessThanOrEqual(step.lostAttempts ?? 0);
          }
        }
      }
    },
  );
});

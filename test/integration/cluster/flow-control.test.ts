/**
 * Per-key flow control shared by two `stator serve --nats` nodes on a private nats-server
 * (the flow bucket, src/runtime/flow/cluster-flow-gate.ts). Steps append their start and end
 * (ms) to one marker file (fixtures/cluster/takeover.ts), from which the runs open at once
 * across both nodes are counted:
 * - 100 runs of one key under `runConcurrency: {limit: 2}` never run more than 2 at once, and
 *   every run completes once;
 * - a node killed (-9, with its step processes) while its runs hold the key's slots does not
 *   stall the key: the other node takes those runs over (they keep their slots and free them
 *   when they end there) and its waiting runs go on; all complete, still never more than 2;
 * - `debounce`: a burst of 10 requests of one key, answered by either node, becomes one run (the
 *   last, with its input); the 9 others end cancelled as debounced.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { tail } from '../../fixtures/cluster/stator-node.ts';
import type { RawClient } from '../../fixtures/cluster/raw-client.ts';
import {
  countWithStatus,
  cutOff,
  markedStep,
  readMarks,
  startedTwice,
  statuses,
  useTakeoverCluster,
  type Mark,
} from '../../fixtures/cluster/takeover.ts';
import { waitFor } from '../../helpers/poll.ts';

const cluster = useTakeoverCluster();

/** A workflow of one marked step, at most `limit` runs per tenant at once. */
const keyed = (id: string, seconds: number, limit: number) => ({
  id,
  inputs: { tenant: { type: 'string' } },
  runConcurrency: { key: 'inputs.tenant', limit },
  steps: [markedStep('work', seconds)],
});

/** Requests runs of `workflowId` for `tenant` with chosen ids, 20 at a time. */
async function enqueue(client: RawClient, workflowId: string, ids: string[], tenant: string) {
  for (let i = 0; i < ids.length; i += 20) {
    const replies = await Promise.all(
      ids
        .slice(i, i + 20)
        .map((executionId) =>
          client.api('workflow.execute', { workflowId, executionId, input: { tenant } }),
        ),
    );
    for (const r of replies) if (!r.ok) throw new Error(`execute refused: ${JSON.stringify(r)}`);
  }
}

/**
 * The most step attempts open at once across the nodes; an attempt that never ended (its node
 * was killed) counts as open until `cutAt`.
 */
function maxOpen(marks: readonly Mark[], cutAt = Infinity): number {
  const ends = new Map<string, number>();
  for (const m of marks) if (m.phase === 'end') ends.set(`${m.executionId}/${m.attempt}`, m.at);
  const events: Array<{ at: number; delta: number }> = [];
  for (const m of marks) {
    if (m.phase !== 'start') continue;
    const end = ends.get(`${m.executionId}/${m.attempt}`) ?? cutAt;
    events.push({ at: m.at, delta: 1 }, { at: end, delta: -1 });
  }
  // An end and a start in the same millisecond: the end first.
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let max = 0;
  for (const e of events) max = Math.max(max, (open += e.delta));
  return max;
}

describe('cluster flow control: runConcurrency shared by the nodes', () => {
  it(
    '100 runs of one key with limit 2 on two nodes never run more than 2 at once',
    { timeout: 180_000 },
    async () => {
      const { client } = cluster;
      const {
        prefix,
        marks,
        nodes: [n1, n2],
      } = await cluster.startPair('fc', []);
      const wf = keyed('keyed', 0.2, 2);
      expect(await client.api('workflow.register', wf)).toMatchObject({ ok: true });
      const ids = Array.from({ length: 100 }, (_, i) => `${prefix}-${i}`);
      await enqueue(client, wf.id, ids, 'a');
      await waitFor(async () => (await countWithStatus(client, wf.id, 'completed')) === 100, {
        timeoutMs: 150_000,
        intervalMs: 500,
        message: 'every run completed',
      }).catch(async (err: Error) => {
        const by = await statuses(client, wf.id).catch(() => ({}));
        throw new Error(
          `${err.message}: ${JSON.stringify(by)}\n${tail(n1.output, 20)}\n${tail(n2.output, 20)}`,
        );
      });
      const all = await readMarks(marks);
      expect(all.filter((m) => m.phase === 'start')).toHaveLength(100);
      expect(startedTwice(all)).toEqual([]);
      expect(maxOpen(all)).toBe(2);
      // Both nodes ran runs of the key: the limit was shared, not one node's.
      expect(new Set(all.map((m) => m.node))).toEqual(new Set(['n1', 'n2']));
    },
  );

  it(
    'a node killed while holding slots frees them: the other node goes on, all complete',
    { timeout: 150_000 },
    async () => {
      const { client } = cluster;
      const {
        prefix,
        marks,
        nodes: [n1, n2],
      } = await cluster.startPair('fck', ['--lease-ttl', '3s']);
      const wf = keyed('keyed-kill', 2, 2);
      expect(await client.api('workflow.register', wf)).toMatchObject({ ok: true });
      const ids = Array.from({ length: 12 }, (_, i) => `${prefix}-${i}`);
      await enqueue(client, wf.id, ids, 'a');
      // n1 runs at least one of the two runs holding the key's slots.
      await waitFor(async () => cutOff(await readMarks(marks), 'work', 'n1').length >= 1, {
        timeoutMs: 60_000,
        intervalMs: 50,
        message: 'n1 holding a slot',
      }).catch(async (err: Error) => {
        const by = await statuses(client, wf.id).catch(() => ({}));
        const m = await readMarks(marks);
        throw new Error(
          `${err.message}: ${JSON.stringify(by)} ${JSON.stringify(m)}\n${tail(n1.output, 30)}\n${tail(n2.output, 30)}`,
        );
      });
      await n1.kill();
      const killedAt = Date.now();
      const cut = cutOff(await readMarks(marks), 'work', 'n1');
      expect(cut.length).toBeGreaterThanOrEqual(1);
      await waitFor(async () => (await countWithStatus(client, wf.id, 'completed')) === 12, {
        timeoutMs: 120_000,
        intervalMs: 250,
        message: 'every run completed',
      }).catch(async (err: Error) => {
        const by = await statuses(client, wf.id).catch(() => ({}));
        throw new Error(`${err.message}: ${JSON.stringify(by)}\n${tail(n2.output, 30)}`);
      });
      const all = await readMarks(marks);
      expect(all.filter((m) => m.node === 'n1' && m.at > killedAt + 50)).toEqual([]);
      // The cut-off runs resumed on n2 (their slots went with them) ...
      for (const c of cut) {
        expect(
          all.some((m) => m.executionId === c.executionId && m.node === 'n2' && m.phase === 'end'),
        ).toBe(true);
      }
      // ... and the key never ran more than 2 at once, n1's cut-off attempts open until the kill.
      expect(maxOpen(all, killedAt), JSON.stringify({ killedAt, all })).toBeLessThanOrEqual(2);
    },
  );

  it(
    'debounce: a burst of 10 spread over both nodes becomes one run with the last input',
    { timeout: 90_000 },
    async () => {
      const { client } = cluster;
      const { prefix, marks } = await cluster.startPair('fcd', []);
      const wf = {
        id: 'debounced',
        inputs: { tenant: { type: 'string' }, n: { type: 'number' } },
        debounce: { key: 'inputs.tenant', period: '1s' },
        steps: [{ id: 'work', run: 'echo "$STATOR_EXECUTION_ID $INPUT_N $NODE_TAG" >> "$MARKS"' }],
      };
      expect(await client.api('workflow.register', wf)).toMatchObject({ ok: true });
      const ids = Array.from({ length: 10 }, (_, i) => `${prefix}-${i}`);
      for (const [n, executionId] of ids.entries()) {
        const r = await client.api('workflow.execute', {
          workflowId: wf.id,
          executionId,
          input: { tenant: 'a', n },
        });
        expect(r.ok, JSON.stringify(r)).toBe(true);
      }
      await waitFor(
        async () =>
          (await countWithStatus(client, wf.id, 'completed')) === 1 &&
          (await countWithStatus(client, wf.id, 'cancelled')) === 9,
        { timeoutMs: 60_000, intervalMs: 250, message: 'one run completed, 9 debounced' },
      ).catch(async (err: Error) => {
        const by = await statuses(client, wf.id).catch(() => ({}));
        throw new Error(`${err.message}: ${JSON.stringify(by)}`);
      });
      const last = ids.at(-1)!;
      const lines = (await readFile(marks, 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]!.split(' ').slice(0, 2)).toEqual([last, '9']);
      for (const id of ids.slice(0, -1)) {
        const r = await client.call<{ status: string; error: { details?: unknown } }>(
          'execution.get',
          { id },
        );
        expect(r.status).toBe('cancelled');
        expect(r.error.details).toMatchObject({ reason: 'debounced' });
      }
      // Nothing else runs later (a debounced run woken twice would).
      await new Promise((r) => setTimeout(r, 1500));
      expect((await readFile(marks, 'utf8')).trim().split('\n')).toHaveLength(1);
    },
  );
});

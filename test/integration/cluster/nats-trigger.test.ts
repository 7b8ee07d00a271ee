/**
 * NATS triggers that never drop, against a real `stator serve --nats` node driven by a plain
 * NATS client (test/fixtures/cluster/raw-client.ts), as a service in another language would:
 * a burst of 1,000 messages on a trigger subject starts exactly 1,000 runs (counted in the
 * store) and leaves the trigger `active`, ready for more; a queue group declared by the
 * workflow is shared with a member that is not Stator, and the two shares add up to every
 * message; messages that are not JSON objects, or that the inputs refuse, are answered, counted
 * (trigger status and `stator_trigger_rejected_total`) and reported as `trigger.rejected`.
 * Workflows: test/fixtures/cluster/workflows-nats-triggers/.
 */
import { join } from 'node:path';
import type { Subscription } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { RawClient } from '../../fixtures/cluster/raw-client.ts';
import { startStatorNode, tail, type StatorNode } from '../../fixtures/cluster/stator-node.ts';
import { WORKFLOWS_DIR } from '../../fixtures/cluster/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const DIR = join(WORKFLOWS_DIR, '..', 'workflows-nats-triggers');
const SLOW = { timeout: 180_000 };

interface Run {
  id: string;
  status: string;
  input: Record<string, unknown>;
}

interface TriggerView {
  state: string;
  counts: { fired: number; skipped: number; failed: number; rejected: number };
  lastError: unknown;
}

let server: NatsServer;
let client: RawClient;
let node: StatorNode;
const prefix = uniquePrefix('nt');

beforeAll(async () => {
  // Trigger subjects are not prefixed: no other test file may share this server.
  server = await startNatsServer({ private: true });
  client = await RawClient.connect(server.url, 'raw-test-client', prefix);
  node = await startStatorNode({ natsUrl: server.url, prefix, name: 'nt1', workflowsDir: DIR });
}, 120_000);

afterAll(async () => {
  await node?.kill();
  await client?.close();
  if (server) await deleteClusterStreams(server.url, [prefix]).catch(() => undefined);
  await server?.stop();
}, 60_000);

/** Every run of `workflowId`, from the API, page by page. */
async function runsOf(workflowId: string): Promise<Run[]> {
  const runs: Run[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.call<{ items: Run[]; nextCursor: string | null }>(
      'execution.list',
      { workflowId, limit: 500, ...(cursor !== undefined && { cursor }) },
      30_000,
    );
    runs.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return runs;
}

/** Waits until `workflowId` has `n` runs (never more), returning them. */
async function exactlyRuns(workflowId: string, n: number, timeoutMs = 120_000): Promise<Run[]> {
  let seen = 0;
  return waitFor(
    async () => {
      const runs = await runsOf(workflowId);
      seen = runs.length;
      expect(runs.length).toBeLessThanOrEqual(n);
      return runs.length === n ? runs : undefined;
    },
    { timeoutMs, intervalMs: 500, message: `${n} runs of ${workflowId}` },
  ).catch((err: Error) => {
    throw new Error(`${err.message} (saw ${seen})\n${tail(node.output, 20)}`);
  });
}

function trigger(id: string): Promise<TriggerView> {
  return client.call<TriggerView>('trigger.get', { id });
}

/** The values of input `key` across `runs`, sorted. */
function inputsOf(runs: Run[], key: string): number[] {
  return runs.map((r) => Number(r.input[key])).sort((a, b) => a - b);
}

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

describe('cluster: NATS triggers never drop a message', () => {
  it(
    'a burst of 1,000 messages starts exactly 1,000 runs; the trigger is active again after',
    SLOW,
    async () => {
      for (const n of range(0, 1000)) client.publish('trig.burst', { n });
      await client.flush();
      const runs = await exactlyRuns('burst', 1000);
      // One run per message: every message's input once.
      expect(inputsOf(runs, 'n')).toEqual(range(0, 1000));
      const view = await waitFor(
        async () => {
          const v = await trigger('burst-nats-0');
          return v.state === 'active' ? v : undefined;
        },
        { timeoutMs: 10_000, intervalMs: 100, message: 'trigger active again' },
      );
      expect(view.counts).toEqual({ fired: 1000, skipped: 0, failed: 0, rejected: 0 });
      expect(view.lastError).toBeNull();

      // Not stuck in `firing`: ten more messages start ten more runs.
      for (const n of range(1000, 10)) client.publish('trig.burst', { n });
      await client.flush();
      expect(inputsOf(await exactlyRuns('burst', 1010), 'n')).toEqual(range(0, 1010));
      const done = await runsOf('burst');
      await waitFor(
        async () =>
          (await runsOf('burst')).every((r) => r.status === 'completed') ? true : undefined,
        { timeoutMs: 60_000, intervalMs: 500, message: 'every burst run completed' },
      );
      expect(done).toHaveLength(1010);
    },
  );

  it(
    'shares a declared queue group with a foreign member: both shares add up to every message',
    SLOW,
    async () => {
      const foreign: number[] = [];
      // A queue member that knows nothing of Stator, on the group the workflow declares.
      const sub: Subscription = client.nc.subscribe('trig.shared', {
        queue: 'shared-workers',
        callback: (err, msg) => {
          if (!err)
            foreign.push((JSON.parse(new TextDecoder().decode(msg.data)) as { n: number }).n);
        },
      });
      try {
        await client.flush();
        const total = 200;
        for (const n of range(0, total)) client.publish('trig.shared', { n });
        await client.flush();
        const runs = await waitFor(
          async () => {
            const r = await runsOf('shared');
            return r.length + foreign.length >= total ? r : undefined;
          },
          { timeoutMs: 60_000, intervalMs: 250, message: 'every shared message taken' },
        );
        const stator = inputsOf(runs, 'n');
        // Each message went to one member only, and every one went somewhere.
        expect(stator.length + foreign.length).toBe(total);
        expect([...stator, ...foreign].sort((a, b) => a - b)).toEqual(range(0, total));
        // Both members took part (random choice among 2 members over 200 messages).
        expect(stator.length).toBeGreaterThan(0);
        expect(foreign.length).toBeGreaterThan(0);
        const view = await trigger('shared-nats-0');
        expect(view.counts.fired).toBe(stator.length);
      } finally {
        sub.unsubscribe();
      }
    },
  );

  it(
    'refuses messages that are not JSON objects or fail the inputs: answered, counted, reported',
    SLOW,
    async () => {
      const watch = client.watch(client.subject('trigger', 'strict-nats-0', 'out'));
      await client.flush();
      try {
        // Requests get the structured error; publishes are counted the same way.
        const bad = await client.request<{ ok: boolean; error?: { code: string } }>(
          'trig.strict',
          'this is not JSON',
        );
        expect(bad).toMatchObject({ ok: false, error: { code: 'malformed_json' } });
        client.publish('trig.strict', '{"order": ');
        client.publish('trig.strict', new Uint8Array([0xff, 0xfe, 0x7b]));
        client.publish('trig.strict', '[1, 2]');
        client.publish('trig.strict', { order: 42 });
        client.publish('trig.strict', { other: 'x' });
        await client.flush();
        const rejected = await waitFor(
          () => {
            const r = watch.events.filter((e) => e.type === 'trigger.rejected');
            return r.length >= 6 ? r : undefined;
          },
          { timeoutMs: 20_000, intervalMs: 100, message: 'six trigger.rejected events' },
        );
        expect(rejected.map((e) => e.reason)).toEqual([
          'malformed_json',
          'malformed_json',
          'malformed_json',
          'not_an_object',
          'invalid_input',
          'invalid_input',
        ]);
        for (const e of rejected) {
          expect(e).toMatchObject({
            triggerId: 'strict-nats-0',
            workflowId: 'strict',
            subject: 'trig.strict',
            severity: 'warning',
            message: expect.any(String),
            error: { code: expect.any(String), recoverable: false },
          });
        }
        expect(rejected[4]!.message).toContain('input.order');
        // Nothing started; the trigger counted each and is idle.
        expect(await runsOf('strict')).toEqual([]);
        const view = await trigger('strict-nats-0');
        expect(view).toMatchObject({
          state: 'active',
          counts: { fired: 0, skipped: 0, failed: 0, rejected: 6 },
        });
        const metrics = await (await fetch(`${node.httpUrl}/metrics`)).text();
        expect(metrics).toContain(
          'stator_trigger_rejected_total{workflow="strict",reason="malformed_json"} 3',
        );
        expect(metrics).toContain(
          'stator_trigger_rejected_total{workflow="strict",reason="invalid_input"} 2',
        );
        // A good message afterwards starts its run.
        const ok = await client.request<{ ok: boolean; data: { executionId: string } }>(
          'trig.strict',
          { order: 'o-1' },
        );
        expect(ok).toEqual({ ok: true, data: { executionId: expect.any(String) } });
        expect((await exactlyRuns('strict', 1, 20_000))[0]!.input).toEqual({ order: 'o-1' });
        expect((await trigger('strict-nats-0')).state).toBe('active');
      } finally {
        watch.stop();
      }
    },
  );
});

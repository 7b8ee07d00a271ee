/**
 * Takeover after a graceful stop: of two nodes sharing 16 runs of one long step, the node running
 * more of them is told to stop (SIGTERM) while its steps run longer than its shutdown timeout. It
 * stops them, hands its leases over as it exits, and the other node claims them at once (well
 * within the 3 s lease TTL: no waiting for them to expire) and runs the cut-off steps again as
 * lost attempts. Every run completes; no attempt ran twice, and nothing of the stopped node ran
 * on after it exited.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { RawClient } from '../../fixtures/cluster/raw-client.ts';
import { startStatorNode, tail, type StatorNode } from '../../fixtures/cluster/stator-node.ts';
import {
  countWithStatus,
  cutOff,
  enqueueRuns,
  markedStep,
  readMarks,
  startedTwice,
  statuses,
  takeoverNode,
  type StepView,
} from '../../fixtures/cluster/takeover.ts';
import { WORKFLOWS_DIR } from '../../fixtures/cluster/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const TTL_MS = 3000;
const RUNS = 16;
/** Longer than the shutdown timeout below: the stopping node cannot wait for them. */
const STEP_SECONDS = 10;
const WORKFLOW = { id: 'long-step', steps: [markedStep('nap', STEP_SECONDS)] };

let server: NatsServer;
let client: RawClient;
let nodes: StatorNode[] = [];
let dir: string;
const prefixes: string[] = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  client = await RawClient.connect(server.url);
}, 30_000);

afterEach(async () => {
  await Promise.all(nodes.map((n) => n.kill()));
  nodes = [];
  await deleteClusterStreams(server.url, prefixes.splice(0));
  await rm(dir, { recursive: true, force: true });
}, 30_000);

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

describe('cluster takeover: a node stopped with SIGTERM', () => {
  it(
    'hands its runs over as it exits; the other node resumes them at once',
    { timeout: 90_000 },
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'stator-takeover-'));
      const marks = join(dir, 'marks');
      const prefix = uniquePrefix('t');
      prefixes.push(prefix);
      const args = ['--lease-ttl', `${TTL_MS}ms`, '--shutdown-timeout', '5s'];
      const start = (name: string) =>
        startStatorNode({
          natsUrl: server.url,
          prefix,
          name,
          workflowsDir: WORKFLOWS_DIR,
          ...takeoverNode(name, marks, args),
        });
      const started = await Promise.allSettled([start('n1'), start('n2')]);
      for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
      for (const s of started) if (s.status === 'rejected') throw s.reason;
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

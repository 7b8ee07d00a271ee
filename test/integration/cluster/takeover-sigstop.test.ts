/**
 * A node that comes back after losing its leases: of two nodes sharing runs of one long step,
 * the one running more of them (n1 below) is frozen (SIGSTOP) for longer than the 3 s lease
 * TTL; n2 declares it dead, claims its runs and runs the cut-off steps again as lost attempts.
 * When n1 wakes (SIGCONT) its heartbeat finds it was declared dead: it stops its stale copies
 * (their processes are killed before they end, and nothing they report is stored) and carries
 * on as a new node. Every run completes once, with the attempt n2 ran; each step attempt
 * started once.
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
const RUNS = 8;
/** Outlasts the freeze: n1's stale copies would still be running when it wakes. */
const STEP_SECONDS = 15;
const FREEZE_MS = 7000;
const WORKFLOW = { id: 'frozen', steps: [markedStep('nap', STEP_SECONDS)] };

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
  for (const n of nodes) if (!n.gone) n.signal('SIGCONT');
  await Promise.all(nodes.map((n) => n.kill()));
  nodes = [];
  await deleteClusterStreams(server.url, prefixes.splice(0));
  await rm(dir, { recursive: true, force: true });
}, 30_000);

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

describe('cluster takeover: a node frozen past its lease', () => {
  it(
    'stops its stale copies when it wakes; each attempt ran once',
    { timeout: 90_000 },
    async () => {
      dir = await mkdtemp(join(tmpdir(), 'stator-takeover-'));
      const marks = join(dir, 'marks');
      const prefix = uniquePrefix('f');
      prefixes.push(prefix);
      const start = (name: string) =>
        startStatorNode({
          natsUrl: server.url,
          prefix,
          name,
          workflowsDir: WORKFLOWS_DIR,
          ...takeoverNode(name, marks, ['--lease-ttl', `${TTL_MS}ms`]),
        });
      const started = await Promise.allSettled([start('n1'), start('n2')]);
      for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
      for (const s of started) if (s.status === 'rejected') throw s.reason;
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

/**
 * Two `stator serve --nats` processes sharing one NATS server and one JetStream prefix: a burst
 * of executions requested over `<prefix>.api.workflow.execute` is shared by both nodes, each run
 * exactly once; when one node is stopped (SIGTERM) half-way, the other finishes the rest and
 * no run is lost or run twice to completion; a draining node leaves the API to the other; runs
 * held by either node are cancelled through the API or their inbound subject, once, and stop.
 * Driven by a plain NATS client.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { RawClient, type ApiReply, type EventWatch } from '../../fixtures/cluster/raw-client.ts';
import { startStatorNode, tail, type StatorNode } from '../../fixtures/cluster/stator-node.ts';
import { QUICK_WORKFLOW, SLEEPER_ID, WORKFLOWS_DIR } from '../../fixtures/cluster/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const SLOW = { timeout: 90_000 };
const BURST = 200;
/** Requests in flight while enqueueing. */
const IN_FLIGHT = 20;

interface Summary {
  id: string;
  status: string;
  node: string | null;
}

let server: NatsServer;
/** The connection; `client` is it, talking to the current pair's prefix. */
let base: RawClient;
let client: RawClient;
let watch: EventWatch | undefined;
let nodes: StatorNode[] = [];
const prefixes: string[] = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  base = await RawClient.connect(server.url);
  client = base;
}, 30_000);

afterEach(async () => {
  watch?.stop();
  watch = undefined;
  await Promise.all(nodes.map((n) => n.kill()));
  nodes = [];
  await deleteClusterStreams(server.url, prefixes.splice(0));
}, 30_000);

afterAll(async () => {
  await base?.close();
  await server?.stop();
});

/** Starts n1 and n2 on a fresh prefix, both at once (as `docker compose up` would). */
async function startPair(slots?: number): Promise<[StatorNode, StatorNode]> {
  const prefix = uniquePrefix('c');
  prefixes.push(prefix);
  client = base.withPrefix(prefix);
  const started = await Promise.allSettled(
    ['n1', 'n2'].map((name) =>
      startStatorNode({ natsUrl: server.url, prefix, name, workflowsDir: WORKFLOWS_DIR, slots }),
    ),
  );
  for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
  for (const s of started) if (s.status === 'rejected') throw s.reason;
  return [nodes[0]!, nodes[1]!];
}

/** Requests `BURST` executions of `workflowId` with chosen ids; returns the ids. */
async function enqueue(workflowId: string, label: string): Promise<string[]> {
  const ids = Array.from({ length: BURST }, (_, i) => `${label}-${String(i).padStart(3, '0')}`);
  for (let i = 0; i < ids.length; i += IN_FLIGHT) {
    const replies = await Promise.all(
      ids
        .slice(i, i + IN_FLIGHT)
        .map((executionId) =>
          client.api<{ executionId: string }>('workflow.execute', { workflowId, executionId }),
        ),
    );
    replies.forEach((reply, k) =>
      expect(reply).toEqual({ ok: true, data: { executionId: ids[i + k] } }),
    );
  }
  return ids;
}

/** Every execution of `workflowId`, from the API (one page: at most 500). */
async function executions(workflowId: string, status?: string): Promise<Summary[]> {
  const page = await client.call<{ items: Summary[] }>('execution.list', {
    workflowId,
    limit: 500,
    ...(status === undefined ? {} : { status }),
  });
  return page.items;
}

/** Waits until every id is completed in the store and its completion event has arrived. */
async function allCompleted(workflowId: string, ids: string[]): Promise<Summary[]> {
  const done = await waitFor(
    async () => {
      const completed = await executions(workflowId, 'completed');
      return completed.length >= ids.length ? completed : undefined;
    },
    { timeoutMs: 75_000, intervalMs: 250, message: `${ids.length} runs completed` },
  ).catch(async (err: Error) => {
    const all = await executions(workflowId).catch(() => []);
    const byStatus = all.reduce<Record<string, number>>(
      (m, e) => ((m[e.status] = (m[e.status] ?? 0) + 1), m),
      {},
    );
    const logs = nodes.map((n) => `--- ${n.name} ---\n${tail(n.output, 15)}`).join('\n');
    throw new Error(`${err.message}; statuses ${JSON.stringify(byStatus)}\n${logs}`);
  });
  await waitFor(() => watch!.countByExecution('execution.completed').size >= ids.length, {
    timeoutMs: 10_000,
    message: 'completion events',
  });
  return done;
}

/** How many events of `type` each of `ids` emitted (0 included). */
function counts(type: string, ids: string[]): number[] {
  const byId = watch!.countByExecution(type);
  return ids.map((id) => byId.get(id) ?? 0);
}

describe('cluster: two serve processes on one NATS', () => {
  it('share a burst of 200 executions, each run exactly once', SLOW, async () => {
    await startPair();
    watch = client.watch(client.subject('execution', '*', 'out'));
    await client.flush();
    expect(await client.api('workflow.register', QUICK_WORKFLOW)).toMatchObject({ ok: true });

    const ids = await enqueue(QUICK_WORKFLOW.id, uniquePrefix('q'));
    const done = await allCompleted(QUICK_WORKFLOW.id, ids);

    expect(done.map((e) => e.id).sort()).toEqual(ids);
    expect(counts('execution.started', ids)).toEqual(ids.map(() => 1));
    expect(counts('execution.completed', ids)).toEqual(ids.map(() => 1));
    expect(counts('step.completed', ids)).toEqual(ids.map(() => 1));
    expect(watch.events.filter((e) => e.type === 'execution.failed')).toEqual([]);
    const byNode = new Map<string, number>();
    for (const e of done) byNode.set(e.node ?? 'none', (byNode.get(e.node ?? 'none') ?? 0) + 1);
    expect([...byNode.keys()].sort()).toEqual(['n1', 'n2']);

    // A full record of one run from whichever node answers.
    const detail = await client.call<{ status: string; steps: Array<{ status: string }> }>(
      'execution.get',
      { id: ids[0] },
    );
    expect(detail).toMatchObject({ status: 'completed', steps: [{ status: 'succeeded' }] });
  });

  it(
    'finish every run when one node is stopped half-way, none lost or run twice',
    SLOW,
    async () => {
      // 2 engines x 4 slots per node and 0.5 s steps: the burst lasts several seconds, so the
      // stop comes when most of it is still queued.
      const [n1] = await startPair(4);
      watch = client.watch(client.subject('execution', '*', 'out'));
      await client.flush();
      // Loaded by both nodes from the --workflows directory.
      expect(await client.api('workflow.get', { id: SLEEPER_ID })).toMatchObject({ ok: true });

      const ids = await enqueue(SLEEPER_ID, uniquePrefix('s'));
      await waitFor(() => watch!.countByExecution('execution.completed').size >= 50, {
        timeoutMs: 60_000,
        intervalMs: 5,
        message: '50 runs completed before the stop',
      });
      const atStop = watch.countByExecution('execution.completed').size;
      n1.signal('SIGTERM');
      expect(atStop, 'runs completed before the stop').toBeLessThanOrEqual(BURST / 2);
      const exit = await n1.exited;
      expect(exit, tail(n1.output)).toEqual({ code: 0, signal: null });
      expect(n1.output.some((l) => l.includes('"stopped"'))).toBe(true);

      const done = await allCompleted(SLEEPER_ID, ids);
      expect(done.map((e) => e.id).sort()).toEqual(ids);
      expect(counts('execution.completed', ids)).toEqual(ids.map(() => 1));
      // The step ran to completion once per run, wherever the run went.
      expect(counts('step.completed', ids)).toEqual(ids.map(() => 1));
      for (const started of counts('execution.started', ids))
        expect(started).toBeGreaterThanOrEqual(1);
      expect(watch.events.filter((e) => e.type === 'execution.failed')).toEqual([]);

      const onN1 = done.filter((e) => e.node === 'n1').length;
      const onN2 = done.filter((e) => e.node === 'n2').length;
      expect(onN1 + onN2).toBe(BURST);
      expect(onN1).toBeGreaterThan(0);
      // n1 took part before the stop only: n2 did the rest, the bulk of the burst.
      expect(onN2).toBeGreaterThanOrEqual(BURST - atStop - 40);
    },
  );

  it('a node that is draining leaves the API to the other one', SLOW, async () => {
    const [n1] = await startPair();
    watch = client.watch(client.subject('execution', '*', 'out'));
    await client.flush();
    await client.call('workflow.register', { id: 'long', steps: [{ id: 'nap', run: 'sleep 4' }] });
    await client.call('workflow.register', QUICK_WORKFLOW);
    // More long runs than one node has slots (16), so n1 surely holds some: its drain then
    // lasts about 4 s.
    const long = await Promise.all(
      Array.from({ length: 20 }, () =>
        client.call<{ executionId: string }>('workflow.execute', { workflowId: 'long' }),
      ),
    );
    await waitFor(
      () => long.every(({ executionId }) => watch!.typesOf(executionId).includes('step.started')),
      { timeoutMs: 30_000, message: 'long runs started' },
    );
    const onN1 = (await executions('long')).filter((e) => e.node === 'n1');
    expect(onN1.length).toBeGreaterThan(0);

    n1.signal('SIGTERM');
    await waitFor(() => n1.output.some((l) => l.includes('shutting down')), {
      timeoutMs: 10_000,
      message: 'n1 shutting down',
    });
    const replies: ApiReply[] = [];
    for (let i = 0; i < 20; i++) {
      replies.push(await client.api('workflow.execute', { workflowId: QUICK_WORKFLOW.id }));
    }
    // Refused with `unavailable` ("stator is closing") when n1 still answers during its drain.
    expect(replies.map((r) => (r.ok ? 'ok' : r.error.code)).filter((c) => c !== 'ok')).toEqual([]);
    expect(n1.gone).toBe(false);
    expect(await n1.exited).toEqual({ code: 0, signal: null });
    // n1's long runs were drained to completion, not abandoned.
    for (const e of onN1) {
      expect(await client.call('execution.get', { id: e.id })).toMatchObject({
        status: 'completed',
        node: 'n1',
      });
    }
  });

  it(
    'cancels runs held by either node, through the API and the inbound subject',
    SLOW,
    async () => {
      await startPair();
      watch = client.watch(client.subject('execution', '*', 'out'));
      await client.flush();
      await client.call('workflow.register', {
        id: 'endless',
        steps: [{ id: 'nap', run: 'sleep 30' }],
      });
      // More runs than one node has slots (16): both nodes hold some.
      const ids = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const { executionId } = await client.call<{ executionId: string }>('workflow.execute', {
            workflowId: 'endless',
          });
          return executionId;
        }),
      );
      await waitFor(() => ids.every((id) => watch!.typesOf(id).includes('step.started')), {
        timeoutMs: 30_000,
        message: 'endless runs started',
      });
      const owners = new Set((await executions('endless')).map((e) => e.node));
      expect([...owners].sort()).toEqual(['n1', 'n2']);

      const [byApi, byInbound] = [ids.slice(0, 10), ids.slice(10)];
      const replies = await Promise.all(byApi.map((id) => client.api('execution.cancel', { id })));
      for (const reply of replies)
        expect(reply, JSON.stringify(reply)).toMatchObject({
          ok: true,
          data: { status: 'cancelled' },
        });
      for (const id of byInbound)
        client.publish(client.subject('execution', id, 'in'), '{"type":"cancel"}');

      await waitFor(() => ids.every((id) => watch!.typesOf(id).includes('execution.cancelled')), {
        timeoutMs: 30_000,
        message: 'every run cancelled',
      });
      expect(counts('execution.cancelled', ids)).toEqual(ids.map(() => 1));
      const records = await executions('endless');
      expect(records.map((e) => e.status)).toEqual(ids.map(() => 'cancelled'));
      // The runs really stopped where they ran: no node still holds one (a step left running
      // would hold it for the 30 s of its sleep).
      for (const node of nodes) {
        await waitFor(
          async () => {
            const res = await fetch(`${node.httpUrl}/health`);
            return ((await res.json()) as { activeExecutions: number }).activeExecutions === 0;
          },
          { timeoutMs: 15_000, intervalMs: 200, message: `${node.name} holds no run` },
        );
      }
      expect(watch.events.filter((e) => e.type === 'execution.completed')).toEqual([]);
    },
  );
});

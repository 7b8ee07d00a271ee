/**
 * One cluster-wide event stream, as a user runs it: two `stator serve --nats` processes on one
 * nats-server. `GET /api/events` of n1 shows the runs n2 executes — every event of each run, in
 * the order n2 published them on `<prefix>.execution.<id>.out` (what a plain NATS client sees),
 * once — and its ids are the stream's sequence, so resuming on n2 from an id n1 handed out
 * returns exactly the rest.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { RawClient, type EventWatch } from '../../fixtures/cluster/raw-client.ts';
import { startStatorNode, type StatorNode } from '../../fixtures/cluster/stator-node.ts';
import { SLEEPER_ID, WORKFLOWS_DIR } from '../../fixtures/cluster/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { executionOf, readEvents } from '../monitor/cluster-nodes.ts';

const SLOW = { timeout: 150_000 };
/** More runs than one node has slots (2 engines × 2): both nodes execute some. */
const RUNS = 12;

let server: NatsServer;
let client: RawClient;
let watch: EventWatch;
const nodes: StatorNode[] = [];
const prefix = uniquePrefix('evs');

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  client = await RawClient.connect(server.url, 'raw-test-client', prefix);
  watch = client.watch(client.subject('execution', '*', 'out'));
  await client.flush();
  const started = await Promise.allSettled(
    ['n1', 'n2'].map((name) =>
      startStatorNode({ natsUrl: server.url, prefix, name, workflowsDir: WORKFLOWS_DIR, slots: 2 }),
    ),
  );
  for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
  for (const s of started) if (s.status === 'rejected') throw s.reason;
}, 120_000);

afterAll(async () => {
  watch?.stop();
  await Promise.all(nodes.map((n) => n.kill()));
  await client?.close();
  await deleteClusterStreams(server.url, [prefix]).catch(() => undefined);
  await server?.stop();
}, 60_000);

describe('cluster: SSE of one serve process shows every node', () => {
  it("n1's /api/events shows n2's runs, every event in order, once", SLOW, async () => {
    const [n1, n2] = nodes as [StatorNode, StatorNode];
    const ids = Array.from({ length: RUNS }, (_, i) => `${prefix}-${i}`);
    const finished = new Set<string>();
    let connected!: () => void;
    const ready = new Promise<void>((resolve) => (connected = resolve));
    const reading = readEvents(n1.httpUrl, {
      signal: AbortSignal.timeout(90_000),
      onConnected: () => connected(),
      done: (r) => {
        const e = r.events.at(-1)!;
        if (e.type === 'execution.completed') finished.add(executionOf(e)!);
        return ids.every((id) => finished.has(id));
      },
    });
    await ready;
    for (const executionId of ids) {
      await client.call('workflow.execute', { workflowId: SLEEPER_ID, executionId });
    }
    const seen = await reading;
    expect([...finished].sort()).toEqual([...ids].sort());

    const records = await Promise.all(
      ids.map((id) => client.call<{ id: string; node: string }>('execution.get', { id })),
    );
    expect(new Set(records.map((r) => r.node))).toEqual(new Set(['n1', 'n2']));
    for (const { id } of records) {
      const viaSse = seen.events.filter((e) => executionOf(e) === id).map((e) => e.type);
      expect(viaSse).toEqual(watch.typesOf(id));
    }
    const seqs = seen.ids;
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => seqs[0]! + i));

    // The same numbers on n2: a resume there from the middle of what n1 showed.
    const mid = seqs[Math.floor(seqs.length / 2)]!;
    const last = seqs.at(-1)!;
    const rest = await readEvents(n2.httpUrl, {
      lastEventId: mid,
      signal: AbortSignal.timeout(30_000),
      done: (r) => r.ids.at(-1)! >= last,
    });
    expect(rest.ids.filter((s) => s <= last)).toEqual(seqs.filter((s) => s > mid));
    expect(rest.gaps).toEqual([]);
  });
});

/**
 * Cron triggers in a cluster: two in-process Stators on the cluster seams (NATS bus, JetStream
 * store and work queue) both arm the same cron trigger, each on a simulated clock the test moves
 * to the same ticks. Every tick starts exactly one run across the two (a claim in the store);
 * a pause given to one process holds on the other; an inbound `fire`, which both receive,
 * starts one run.
 */
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { createStator, type Stator } from '../../../src/index.ts';
import type { StampedEvent } from '../../../src/events.ts';
import { connectCluster, type ClusterSeams } from '../../../src/runtime/cluster.ts';
import { createSimulatedScheduler } from '../../../src/triggers/simulated-scheduler.ts';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const logger = pino({ level: 'silent' });
const START = Date.parse('2030-01-01T00:00:00.500Z');
const TRIGGER = 'tick5-cron-0';
const WORKFLOW = {
  id: 'tick5',
  overlap: 'allow',
  triggers: [{ cron: { schedule: '*/5 * * * * *' } }],
  steps: [{ id: 'a', noop: true }],
};

interface Node {
  seams: ClusterSeams;
  stator: Stator;
  clock: SimulatedClock;
  events: StampedEvent[];
}

let server: NatsServer;
const prefixes: string[] = [];
const nodes: Node[] = [];

async function startNode(prefix: string, name: string): Promise<Node> {
  const seams = await connectCluster({ url: server.url, name, prefix, logger });
  const clock = new SimulatedClock();
  clock.set(START);
  const stator = await createStator({
    bus: seams.bus,
    store: seams.store,
    workQueue: seams.workQueue,
    node: name,
    shutdownGraceMs: 0,
    scheduler: createSimulatedScheduler(clock),
  });
  const events: StampedEvent[] = [];
  stator.subscribe((e) => void events.push(e), { filter: { kind: 'trigger' }, bufferSize: 10_000 });
  const node = { seams, stator, clock, events };
  nodes.push(node);
  return node;
}

/** Two nodes on a fresh prefix; the workflow is registered before the second one starts. */
async function twoNodes(): Promise<[Node, Node]> {
  const prefix = uniquePrefix('cron');
  prefixes.push(prefix);
  const a = await startNode(prefix, 'cron-a');
  await a.stator.registerWorkflow(WORKFLOW);
  const b = await startNode(prefix, 'cron-b');
  return [a, b];
}

/** Moves both clocks to `at` (the tick fires on both nodes). */
function tickAll(at: number): void {
  for (const n of nodes) n.clock.set(at);
}

const outcomes = (type: string, at: number) =>
  nodes.flatMap((n) =>
    n.events.filter(
      (e) =>
        e.type === type &&
        (e as { scheduledAt?: string }).scheduledAt === new Date(at).toISOString(),
    ),
  );

beforeAll(async () => {
  // The work and event streams capture fixed subjects: keep other test files off this server.
  server = await startNatsServer({ private: true });
}, 30_000);

afterEach(async () => {
  for (const n of nodes.splice(0)) {
    await n.stator.close();
    await n.seams.close();
  }
  await deleteClusterStreams(server.url, prefixes.splice(0));
});

afterAll(async () => {
  await server?.stop();
});

describe('cluster: cron triggers', () => {
  it('each tick starts one run across the processes', async () => {
    const [a] = await twoNodes();
    const ticks = [5, 10, 15].map((s) => START - 500 + s * 1000);
    for (const at of ticks) {
      tickAll(at);
      await waitFor(() => outcomes('trigger.fired', at).length >= 1, { message: `tick ${at}` });
    }
    // Give a duplicate every chance to show up before counting.
    await waitFor(async () => {
      const runs = await a.stator.listExecutions({ workflowId: 'tick5' });
      return runs.items.length >= 3 && runs.items.every((r) => r.status === 'completed');
    });
    for (const at of ticks) expect(outcomes('trigger.fired', at)).toHaveLength(1);
    expect((await a.stator.listExecutions({ workflowId: 'tick5' })).items).toHaveLength(3);
  }, 60_000);

  it('a pause given to one process holds on the other', async () => {
    const [a, b] = await twoNodes();
    await a.stator.pauseTrigger(TRIGGER);
    const at = START - 500 + 5000;
    tickAll(at);
    // b reads the stored pause at the tick and follows it.
    await waitFor(async () => (await b.stator.getTrigger(TRIGGER)).state === 'paused');
    await a.stator.resumeTrigger(TRIGGER);
    const next = at + 5000;
    tickAll(next);
    await waitFor(() => outcomes('trigger.fired', next).length >= 1);
    expect(outcomes('trigger.fired', at)).toEqual([]);
    expect((await b.stator.getTrigger(TRIGGER)).state).toBe('active');
  }, 60_000);

  it('an inbound fire, received by every process, starts one run', async () => {
    const [a] = await twoNodes();
    const reply = await a.seams.bus.request(
      a.seams.bus.subjects.actorIn('trigger', TRIGGER),
      { type: 'fire' },
      { timeoutMs: 10_000 },
    );
    const body = reply.json<{ ok: boolean; data: { executionId: string } }>();
    expect(body).toMatchObject({ ok: true, data: { status: 'started' } });
    await a.stator.waitForExecution(body.data.executionId, { timeoutMs: 20_000 });
    const runs = await a.stator.listExecutions({ workflowId: 'tick5' });
    expect(runs.items.map((r) => r.id)).toEqual([body.data.executionId]);
  }, 60_000);
});

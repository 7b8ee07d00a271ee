/**
 * Stream triggers (`nats: {subject, stream}`) against real `stator serve --nats` nodes: messages
 * published into the stream while no node runs start their runs once one is up, one run per
 * message; a node killed with SIGKILL in the middle of a burst and started again still leaves
 * exactly one run per message (messages it held unacknowledged are redelivered, and the stream
 * sequence, used as the idempotency key, finds the runs their first delivery created). The
 * stream is created by a plain NATS client, as its owner would with `nats stream add`.
 * Workflow: test/fixtures/cluster/workflows-nats-stream/stream-orders.yaml.
 */
import { join } from 'node:path';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { RawClient } from '../../fixtures/cluster/raw-client.ts';
import { startStatorNode, tail, type StatorNode } from '../../fixtures/cluster/stator-node.ts';
import { WORKFLOWS_DIR } from '../../fixtures/cluster/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const DIR = join(WORKFLOWS_DIR, '..', 'workflows-nats-stream');
const STREAM = 'TRIGGER_ORDERS';
const SUBJECT = 'trig.stream.orders';
const WORKFLOW = 'stream-orders';
const SLOW = { timeout: 240_000 };

interface Run {
  id: string;
  status: string;
  input: Record<string, unknown>;
}

let server: NatsServer;
let client: RawClient;
let jsm: JetStreamManager;
let nodes: StatorNode[] = [];
const prefixes: string[] = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  client = await RawClient.connect(server.url);
  jsm = await jetstreamManager(client.nc);
}, 60_000);

afterEach(async () => {
  await Promise.all(nodes.map((n) => n.kill()));
  nodes = [];
  await jsm.streams.delete(STREAM).catch(() => false);
  await deleteClusterStreams(server.url, prefixes.splice(0));
}, 60_000);

afterAll(async () => {
  await client?.close();
  await server?.stop();
});

async function startNode(prefix: string, name: string): Promise<StatorNode> {
  client.prefix = prefix;
  const node = await startStatorNode({ natsUrl: server.url, prefix, name, workflowsDir: DIR });
  nodes.push(node);
  return node;
}

/** Publishes `{n}` for each n into the stream, each acknowledged by the server. */
async function publish(ns: number[]): Promise<void> {
  const js = jetstream(client.nc);
  for (let i = 0; i < ns.length; i += 100) {
    await Promise.all(ns.slice(i, i + 100).map((n) => js.publish(SUBJECT, JSON.stringify({ n }))));
  }
}

/** Every run of the workflow, from the API, page by page. */
async function runs(): Promise<Run[]> {
  const all: Run[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.call<{ items: Run[]; nextCursor: string | null }>(
      'execution.list',
      { workflowId: WORKFLOW, limit: 500, ...(cursor !== undefined && { cursor }) },
      30_000,
    );
    all.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return all;
}

/** The `n` of every run, sorted (a message that started two runs shows twice). */
const inputsOf = (rs: Run[]) => rs.map((r) => Number(r.input.n)).sort((a, b) => a - b);
const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

/** Waits until the durable consumer has nothing pending or unacknowledged. */
async function drained(prefix: string): Promise<void> {
  const durable = `${prefix}_trigger_${WORKFLOW}-nats-0`;
  await waitFor(
    async () => {
      const info = await jsm.consumers.info(STREAM, durable);
      return info.num_pending === 0 && info.num_ack_pending === 0;
    },
    { timeoutMs: 90_000, intervalMs: 250, message: `consumer ${durable} drained` },
  );
}

/** Waits until the workflow has at least `n` runs; returns them. */
async function atLeast(n: number, node: StatorNode, timeoutMs = 90_000): Promise<Run[]> {
  return waitFor(
    async () => {
      const rs = await runs();
      return rs.length >= n ? rs : undefined;
    },
    { timeoutMs, intervalMs: 250, message: `${n} runs of ${WORKFLOW}` },
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n${tail(node.output, 25)}`);
  });
}

describe('cluster: stream triggers (durable JetStream consumer)', () => {
  it('messages published while no node is up start one run each once a node is', SLOW, async () => {
    await jsm.streams.add({ name: STREAM, subjects: ['trig.stream.>'] });
    const prefix = uniquePrefix('st');
    prefixes.push(prefix);
    await publish(range(0, 150));

    const node = await startNode(prefix, 's1');
    const got = await atLeast(150, node);
    await drained(prefix);
    // Exactly one run per message, and no more after every message was acknowledged.
    expect(inputsOf(got)).toEqual(range(0, 150));
    expect(inputsOf(await runs())).toEqual(range(0, 150));
    const view = await client.call<{ state: string; stream: string; counts: { fired: number } }>(
      'trigger.get',
      { id: `${WORKFLOW}-nats-0` },
    );
    expect(view).toMatchObject({ state: 'active', stream: STREAM, counts: { fired: 150 } });

    // Messages arriving while it runs start theirs too.
    await publish(range(150, 20));
    await atLeast(170, node);
    await drained(prefix);
    expect(inputsOf(await runs())).toEqual(range(0, 170));

    // Every message delivered again (the consumer made anew starts at the stream's first
    // message): each finds the run its stream sequence created, and starts nothing.
    const durable = `${prefix}_trigger_${WORKFLOW}-nats-0`;
    await jsm.consumers.delete(STREAM, durable);
    await waitFor(
      async () => (await jsm.consumers.info(STREAM, durable)).delivered.stream_seq >= 170,
      { timeoutMs: 30_000, intervalMs: 250, message: 'every message delivered again' },
    );
    await drained(prefix);
    expect(inputsOf(await runs())).toEqual(range(0, 170));
  });

  it('kill -9 mid-burst and a restart: still exactly one run per message', SLOW, async () => {
    await jsm.streams.add({ name: STREAM, subjects: ['trig.stream.>'] });
    const prefix = uniquePrefix('st');
    prefixes.push(prefix);
    const first = await startNode(prefix, 's1');
    // The consumer exists once the trigger consumes (first message through).
    await publish([0]);
    await atLeast(1, first);

    const total = 600;
    await publish(range(1, total - 1));
    // Mid-burst: some runs recorded, many messages still held or pending.
    const before = (await atLeast(60, first)).length;
    await first.kill();
    expect(before).toBeLessThan(total);
    // The dead node held messages it never acknowledged: they must come back, and once only.
    const durable = `${prefix}_trigger_${WORKFLOW}-nats-0`;
    expect((await jsm.consumers.info(STREAM, durable)).num_ack_pending).toBeGreaterThan(0);

    const second = await startNode(prefix, 's2');
    await atLeast(total, second, 150_000);
    // Redeliveries of what the dead node held come after its ack wait: wait them all out.
    await drained(prefix);
    const all = await runs();
    expect(all).toHaveLength(total);
    expect(inputsOf(all)).toEqual(range(0, total));
  });

  it(
    'a stream trigger without its stream shows error, and consumes once the stream exists',
    SLOW,
    async () => {
      const prefix = uniquePrefix('st');
      prefixes.push(prefix);
      const node = await startNode(prefix, 's1');
      const id = `${WORKFLOW}-nats-0`;
      const broken = await waitFor(
        async () => {
          const v = await client.call<{ state: string; lastError: { code: string } | null }>(
            'trigger.get',
            { id },
          );
          return v.state === 'error' ? v : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 200, message: 'trigger in error without its stream' },
      );
      expect(broken.lastError).toMatchObject({ code: 'not_found' });

      await jsm.streams.add({ name: STREAM, subjects: ['trig.stream.>'] });
      await publish(range(0, 5));
      expect(inputsOf(await atLeast(5, node))).toEqual(range(0, 5));
      expect((await client.call<{ state: string }>('trigger.get', { id })).state).toBe('active');
    },
  );
});

/**
 * NATS triggers on a real server: every message on a workflow's trigger subject starts one run
 * with the message's JSON as its input; a request gets the execution id or the structured
 * error; two Stator instances with the same workflow start one run per message (queue group).
 * Messages are sent by a plain NATS client (test/fixtures/cluster/raw-client.ts).
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNatsBus, createStator, type Bus, type Stator } from '../../../src/index.ts';
import {
  RawClient,
  type EventWatch,
  type WireErrorShape,
} from '../../fixtures/cluster/raw-client.ts';
import { orderWorkflow } from '../../fixtures/cluster/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

/** A Stator on its own NATS connection and memory store. */
interface Node {
  bus: Bus;
  stator: Stator;
}

let server: NatsServer;
let client: RawClient;
let watch: EventWatch;
let nodes: Node[] = [];

async function startNode(node: string): Promise<Node> {
  const bus = await createNatsBus({ servers: server.url, name: `stator-${node}` });
  const stator = await createStator({ bus, store: 'memory', node, shutdownGraceMs: 0 });
  const started = { bus, stator };
  nodes.push(started);
  return started;
}

/** Registers `def` and waits until the server has the trigger's subscription. */
async function register(node: Node, def: ReturnType<typeof orderWorkflow>): Promise<void> {
  await node.stator.registerWorkflow(def);
  await node.bus.flush();
}

/** Executions of `workflowId` whose completion has been published. */
function completed(workflowId: string): string[] {
  return watch.events
    .filter((e) => e.type === 'execution.completed' && e.workflowId === workflowId)
    .map((e) => e.executionId!);
}

beforeAll(async () => {
  // Trigger and API subjects are not prefixed per service: keep other test files off this server.
  server = await startNatsServer({ private: true });
  client = await RawClient.connect(server.url);
  watch = client.watch('stator.execution.*.out');
  await client.flush();
}, 30_000);

afterAll(async () => {
  watch?.stop();
  await client?.close();
  await server?.stop();
});

beforeEach(() => {
  nodes = [];
});

afterEach(async () => {
  for (const { stator, bus } of nodes) {
    await stator.close();
    await bus.close();
  }
});

describe('cluster: NATS triggers', () => {
  it('starts one run per published message with the message as input', async () => {
    const node = await startNode('trigger-1');
    const { stator } = node;
    await register(node, orderWorkflow('orders', 'orders.created'));
    const orders = Array.from({ length: 5 }, (_, i) => ({ order: `o${i}`, qty: i + 1 }));
    for (const o of orders) client.publish('orders.created', JSON.stringify(o));
    // Another subject starts nothing.
    client.publish('orders.updated', '{"order":"ignored","qty":0}');

    const ids = await waitFor(
      () => (completed('orders').length >= orders.length ? completed('orders') : undefined),
      {
        timeoutMs: 30_000,
        message: 'five order runs completed',
      },
    );
    expect(new Set(ids).size).toBe(orders.length);
    const page = await stator.listExecutions({ workflowId: 'orders' });
    expect(page.items).toHaveLength(orders.length);
    expect(
      page.items.map((e) => e.input).sort((a, b) => String(a.order).localeCompare(String(b.order))),
    ).toEqual(orders);
    for (const item of page.items) {
      const logs = await stator.logs(item.id);
      expect(logs).toBe(`handle stdout | order=${item.input.order} qty=${item.input.qty}\n`);
    }
  });

  it('answers a request on the trigger subject with the execution id', async () => {
    const node = await startNode('trigger-1');
    const { stator } = node;
    const subject = `orders.${uniquePrefix('s')}.created`;
    await register(node, orderWorkflow('orders-rr', subject));
    const reply = await client.request<{ ok: boolean; data: { executionId: string } }>(subject, {
      order: 'rr',
      qty: 7,
    });
    expect(reply).toEqual({ ok: true, data: { executionId: expect.any(String) } });
    const record = await stator.waitForExecution(reply.data.executionId, { timeoutMs: 20_000 });
    expect(record).toMatchObject({ status: 'completed', input: { order: 'rr', qty: 7 } });
    expect(await stator.logs(record.id)).toContain('order=rr qty=7');
  });

  it('refuses a payload that is not a JSON object with the structured error', async () => {
    const node = await startNode('trigger-1');
    const { stator } = node;
    const subject = `orders.${uniquePrefix('s')}.created`;
    await register(node, orderWorkflow('orders-bad', subject));
    for (const payload of ['[1,2]', '"text"', '42', 'null', '{"order": ']) {
      const reply = await client.request<{ ok: boolean; error?: WireErrorShape }>(subject, payload);
      expect(reply.ok, payload).toBe(false);
      expect(reply.error).toMatchObject({
        code: expect.stringMatching(/^(invalid_argument|malformed_json)$/),
        message: expect.any(String),
        recoverable: false,
      });
    }
    // Nothing started; a good message afterwards still works.
    expect((await stator.listExecutions({ workflowId: 'orders-bad' })).items).toEqual([]);
    const ok = await client.request<{ ok: boolean; data: { executionId: string } }>(subject, {
      order: 'fine',
    });
    expect(ok.ok).toBe(true);
    expect((await stator.waitForExecution(ok.data.executionId, { timeoutMs: 20_000 })).status).toBe(
      'completed',
    );
  });

  it('starts one run per message across two instances with the same workflow', async () => {
    const nodeA = await startNode('trigger-a');
    const nodeB = await startNode('trigger-b');
    const [a, b] = [nodeA.stator, nodeB.stator];
    const subject = `orders.${uniquePrefix('s')}.created`;
    const def = orderWorkflow('orders-shared', subject);
    await register(nodeA, def);
    await register(nodeB, def);
    const count = 20;
    for (let i = 0; i < count; i++) client.publish(subject, { order: `m${i}`, qty: i });

    await waitFor(() => completed('orders-shared').length >= count, {
      timeoutMs: 45_000,
      message: `${count} shared runs completed`,
    });
    const started = watch.events.filter(
      (e) => e.type === 'execution.started' && e.workflowId === 'orders-shared',
    );
    expect(started).toHaveLength(count);
    const onA = (await a.listExecutions({ workflowId: 'orders-shared', limit: 500 })).items;
    const onB = (await b.listExecutions({ workflowId: 'orders-shared', limit: 500 })).items;
    expect(onA.length + onB.length).toBe(count);
    // The queue group spans both: each took some (all 20 on one side has odds of 2^-19).
    expect(onA.length).toBeGreaterThan(0);
    expect(onB.length).toBeGreaterThan(0);
    const orders = [...onA, ...onB].map((e) => e.input.order).sort();
    expect(orders).toEqual(Array.from({ length: count }, (_, i) => `m${i}`).sort());
    expect(completed('orders-shared')).toHaveLength(count);
  });
});

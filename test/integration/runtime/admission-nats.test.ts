/**
 * `stator.api.workflow.execute` from a plain NATS client against a real nats-server: one
 * `idempotencyKey` sent by 10 requests at once starts one run (the same id for all, `replayed`
 * on all but one), malformed keys are refused, and a node holding `queueLimit` queued runs
 * answers `queue_full` with `details.retryAfterMs` and creates no record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNatsBus, createStator, type Bus, type Stator } from '../../../src/index.ts';
import { RawClient, type ApiReply } from '../../fixtures/cluster/raw-client.ts';
import { startNatsServer, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const NOOP = { id: 'noop', steps: [{ id: 'a', noop: true }] };
const QUICK = { id: 'quick', steps: [{ id: 'a', sleep: 20 }] };
const BLOCK = { id: 'block', steps: [{ id: 'a', sleep: '10m' }] };
const QUEUE_LIMIT = 3;

let server: NatsServer;
let bus: Bus;
let stator: Stator;
let client: RawClient;

beforeAll(async () => {
  // `stator.api.*` has a fixed root: a server shared with other files would answer too.
  server = await startNatsServer({ private: true });
  bus = await createNatsBus({ servers: server.url, name: 'stator-admission-test' });
  stator = await createStator({
    bus,
    store: 'memory',
    node: 'admission-node',
    shutdownGraceMs: 0,
    engines: 1,
    slotsPerEngine: 1,
    queueLimit: QUEUE_LIMIT,
    rateLimit: { ratePerSecond: 0 },
  });
  for (const wf of [NOOP, QUICK, BLOCK]) await stator.registerWorkflow(wf);
  client = await RawClient.connect(server.url);
}, 30_000);

afterAll(async () => {
  await client?.close();
  await stator?.close();
  await bus?.close();
  await server?.stop();
});

type Executed = ApiReply<{ executionId: string; replayed?: boolean }>;

describe('workflow.execute on NATS: idempotency and admission', () => {
  it('starts one run for one idempotencyKey sent by 10 requests at once', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        client.api<Executed>('workflow.execute', {
          workflowId: 'noop',
          idempotencyKey: 'nats-key-1',
        }),
      ),
    );
    const data = replies.map((r) => {
      if (!r.ok) throw new Error(`refused: ${r.error.code}`);
      return r.data as unknown as { executionId: string; replayed?: boolean };
    });
    const id = data[0]!.executionId;
    expect(data.every((d) => d.executionId === id)).toBe(true);
    expect(data.filter((d) => d.replayed === true)).toHaveLength(9);
    expect((await stator.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    const again = await client.api('workflow.execute', {
      workflowId: 'noop',
      idempotencyKey: 'nats-key-1',
    });
    expect(again).toEqual({ ok: true, data: { executionId: id, replayed: true } });
    const runs = await stator.listExecutions({ workflowId: 'noop', limit: 100 });
    expect(runs.items.map((r) => r.id)).toEqual([id]);
  });

  it('refuses malformed keys with invalid_argument naming the field', async () => {
    for (const idempotencyKey of ['', 'k'.repeat(256), 'a b', 42]) {
      const reply = await client.api('workflow.execute', { workflowId: 'noop', idempotencyKey });
      expect(reply).toMatchObject({ ok: false, error: { code: 'invalid_argument' } });
      expect(JSON.stringify(reply)).toContain('idempotencyKey');
    }
  });

  it('answers queue_full with retryAfterMs past queueLimit and creates no record', async () => {
    const blocker = (await stator.execute('block')).executionId;
    await waitFor(async () => (await stator.getExecution(blocker)).status === 'running', {
      timeoutMs: 10_000,
      message: 'blocker running',
    });
    const ids = Array.from({ length: 8 }, (_, i) => `ex_nats_burst_${i}`);
    const replies = await Promise.all(
      ids.map((executionId) =>
        client.api('workflow.execute', { workflowId: 'quick', executionId }),
      ),
    );
    const accepted = ids.filter((_, i) => replies[i]!.ok);
    expect(accepted).toHaveLength(QUEUE_LIMIT);
    for (const reply of replies.filter((r) => !r.ok)) {
      expect(reply).toMatchObject({
        ok: false,
        error: {
          code: 'queue_full',
          recoverable: true,
          details: { scope: 'node', limit: QUEUE_LIMIT, retryAfterMs: 1000 },
        },
      });
    }
    for (const id of ids.filter((id) => !accepted.includes(id))) {
      const reply = await client.api('execution.get', { id });
      expect(reply).toMatchObject({ ok: false, error: { code: 'not_found' } });
    }
    // A key claimed by a refused execute is honoured once there is room: its run is created.
    const refusedKey = await client.api('workflow.execute', {
      workflowId: 'quick',
      idempotencyKey: 'after-room',
    });
    expect(refusedKey).toMatchObject({ ok: false, error: { code: 'queue_full' } });
    await stator.cancel(blocker);
    for (const id of accepted) {
      expect((await stator.waitForExecution(id, { timeoutMs: 10_000 })).status).toBe('completed');
    }
    const retried = await client.api<{ executionId: string; replayed?: boolean }>(
      'workflow.execute',
      { workflowId: 'quick', idempotencyKey: 'after-room' },
    );
    if (!retried.ok) throw new Error(`refused: ${retried.error.code}`);
    expect(retried.data.replayed).toBeUndefined();
    const repeat = await client.api('workflow.execute', {
      workflowId: 'quick',
      idempotencyKey: 'after-room',
    });
    expect(repeat).toEqual({
      ok: true,
      data: { executionId: retried.data.executionId, replayed: true },
    });
  });
});

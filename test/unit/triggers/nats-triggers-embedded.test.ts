/**
 * NATS triggers in embedded mode (the in-process bus, which has NATS semantics): a message that
 * is not a JSON object the inputs accept is answered, counted and reported as
 * `trigger.rejected`, and leaves the trigger `active`; a burst larger than the machine's default
 * pending bound (256) starts one run per message; a stream trigger, which needs JetStream,
 * shows `error` with the reason instead of silently doing nothing.
 */
import { describe, expect, it } from 'vitest';
import type { StampedEvent } from '../../../src/events.ts';
import { useStator } from '../../helpers/use-stator.ts';
import { waitFor } from '../../helpers/poll.ts';

const t = useStator({
  store: 'memory',
  memoryBus: true,
  workflows: [
    {
      id: 'orders',
      inputs: { order: { type: 'string', required: true } },
      triggers: [{ nats: { subject: 'emb.orders' } }],
      steps: [{ id: 'take', noop: true }],
    },
    {
      id: 'durable',
      triggers: [{ nats: { subject: 'emb.durable', stream: 'ORDERS' } }],
      steps: [{ id: 'take', noop: true }],
    },
  ],
});

type Reply = { ok: boolean; data?: { executionId: string }; error?: { code: string } };
const rejectedOf = (events: StampedEvent[]) =>
  events.filter(
    (e): e is Extract<StampedEvent, { type: 'trigger.rejected' }> => e.type === 'trigger.rejected',
  );

/** Every run of `workflowId`, page by page. */
async function allRuns(workflowId: string) {
  const runs = [];
  let cursor: string | undefined;
  do {
    const page = await t.stator.listExecutions({ workflowId, limit: 500, cursor });
    runs.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return runs;
}

describe('NATS triggers, embedded', () => {
  it('rejects bad messages with the reason, counts them, and stays active', async () => {
    const bytes = new TextEncoder().encode('not json');
    const bad = await t.bus.request('emb.orders', bytes, { timeoutMs: 5000 });
    expect(bad.json<Reply>()).toMatchObject({ ok: false, error: { code: 'malformed_json' } });
    t.bus.publish('emb.orders', [1]);
    t.bus.publish('emb.orders', { order: 7 });
    await waitFor(() => rejectedOf(t.events).length === 3, { message: 'three rejections' });
    expect(rejectedOf(t.events).map((e) => [e.reason, e.source, e.subject])).toEqual([
      ['malformed_json', 'trigger.orders-nats-0', 'emb.orders'],
      ['not_an_object', 'trigger.orders-nats-0', 'emb.orders'],
      ['invalid_input', 'trigger.orders-nats-0', 'emb.orders'],
    ]);
    expect(await t.stator.getTrigger('orders-nats-0')).toMatchObject({
      state: 'active',
      counts: { fired: 0, rejected: 3 },
    });
    expect(await t.stator.metrics()).toContain(
      'stator_trigger_rejected_total{workflow="orders",reason="not_an_object"} 1',
    );
    const ok = (
      await t.bus.request('emb.orders', { order: 'o1' }, { timeoutMs: 5000 })
    ).json<Reply>();
    expect(ok.ok).toBe(true);
    expect((await t.finish(ok.data!.executionId)).status).toBe('completed');
  });

  it(
    'a burst past the default pending bound starts one run per message',
    { timeout: 90_000 },
    async () => {
      for (let i = 0; i < 600; i++) t.bus.publish('emb.orders', { order: `o${i}` });
      const runs = await waitFor(
        async () => {
          const all = await allRuns('orders');
          return all.length >= 600 ? all : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, message: '600 runs' },
      );
      expect(runs).toHaveLength(600);
      expect(new Set(runs.map((r) => r.input.order)).size).toBe(600);
      const view = await waitFor(async () => {
        const v = await t.stator.getTrigger('orders-nats-0');
        return v.state === 'active' ? v : undefined;
      });
      expect(view.counts).toMatchObject({ fired: 600, skipped: 0, failed: 0 });
    },
  );

  it('a stream trigger without JetStream shows error with the reason', async () => {
    const view = await waitFor(async () => {
      const v = await t.stator.getTrigger('durable-nats-0');
      return v.state === 'error' ? v : undefined;
    });
    expect(view).toMatchObject({
      stream: 'ORDERS',
      lastError: { code: 'unavailable', message: expect.stringContaining('cluster mode') },
    });
  });
});

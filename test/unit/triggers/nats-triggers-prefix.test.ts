/**
 * NATS triggers under a deployment prefix: a trigger subject under the deployment's own prefix
 * is Stator's (its API, its actors) and is not subscribed; any other subject is, in the default
 * queue group named after the prefix (`<prefix>-trigger-<workflowId>`), so another deployment's
 * members never share a message with this one's.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createMemoryBus } from '../../../src/bus/index.ts';
import type { WorkflowRecord } from '../../../src/store/index.ts';
import { NatsTriggers } from '../../../src/triggers/index.ts';
import type { TriggerMessage } from '../../../src/triggers/trigger-message.ts';
import { parseWorkflow } from '../../../src/workflow/parse.ts';
import { waitFor } from '../../helpers/poll.ts';

function record(subjects: string[]): WorkflowRecord {
  const definition = parseWorkflow({
    id: 'orders',
    triggers: subjects.map((subject) => ({ nats: { subject } })),
    steps: [{ id: 'a', noop: true }],
  });
  const at = new Date(0).toISOString();
  return { id: 'orders', definition, version: 1, createdAt: at, updatedAt: at };
}

describe('NatsTriggers under a prefix', () => {
  it("subscribes user subjects, never the deployment's own, in the prefix's queue group", async () => {
    const bus = createMemoryBus({ prefix: 'acme' });
    const got: string[] = [];
    const triggers = new NatsTriggers(
      bus,
      async (_workflowId: string, index: number, _msg: TriggerMessage) => {
        // A fake registry: counts the message, says the trigger held it.
        got.push(String(index));
        return { triggerId: `orders-nats-${index}`, result: { status: 'held' } };
      },
      pino({ level: 'silent' }),
    );
    triggers.sync(record(['acme.api.workflow.execute', 'orders.created', 'acme.>']));
    expect(triggers.active()).toEqual({ orders: ['orders.created'] });

    // Two members of the default group on one bus: each message reaches one of them only.
    const other: string[] = [];
    bus.subscribe('orders.created', () => void other.push('x'), { queue: 'acme-trigger-orders' });
    for (let i = 0; i < 20; i++) bus.publish('orders.created', {});
    await waitFor(() => got.length + other.length >= 20);
    // A barrier: a message published after the burst has been delivered, so the burst has too.
    const after = new Promise<void>((resolve) => bus.subscribe('orders.done', () => resolve()));
    bus.publish('orders.done', {});
    await after;
    expect(got.length + other.length).toBe(20);
    triggers.close();
    await bus.close();
  });
});

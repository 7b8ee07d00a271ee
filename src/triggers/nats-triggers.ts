/**
 * NATS triggers on plain subjects: for every workflow that declares `triggers: [{nats: {subject,
 * queue?}}]`, a subscription that hands each message to the registry (which decodes it, fires
 * the trigger's actor or rejects the message with its reason). The subscription joins a queue
 * group (by default one per workflow), so in a cluster each message starts one run, not one per
 * process; a declared `queue` is used as it is, so members written in other languages can share
 * the subject with Stator's. A message with a reply subject gets `{ok, data: {executionId}}` or
 * the structured error. Triggers with a `stream` are consumed by nats-stream-triggers.ts instead.
 * Subjects under the deployment's prefix are Stator's own: a trigger on one is not subscribed.
 * @module
 */
import type { Logger } from 'pino';
import type { Bus, BusMessage, BusSubscription } from '../bus/index.ts';
import { toWire } from '../errors.ts';
import type { WorkflowRecord } from '../store/index.ts';
import { replyOf, type MessageResult, type TriggerMessage } from './trigger-message.ts';
import { defaultTriggerQueue } from './trigger-names.ts';

/** Hands the message of the workflow's trigger at `index` (of its `triggers` list) on. */
export type NatsMessageHandler = (
  workflowId: string,
  index: number,
  msg: TriggerMessage,
) => Promise<{ triggerId: string; result: MessageResult }>;

export { defaultTriggerQueue };

/** Keeps one set of subscriptions per workflow in step with its definition. */
export class NatsTriggers {
  readonly #subs = new Map<string, BusSubscription[]>();

  constructor(
    private readonly bus: Bus,
    private readonly handle: NatsMessageHandler,
    private readonly logger: Logger,
  ) {}

  /** (Re)subscribes the triggers of a registered workflow. */
  sync(workflow: WorkflowRecord): void {
    this.remove(workflow.id);
    const subs: BusSubscription[] = [];
    (workflow.definition.triggers ?? []).forEach((trigger, index) => {
      if (trigger.kind !== 'nats' || trigger.stream !== undefined) return;
      if (this.bus.subjects.owns(trigger.subject)) {
        this.logger.warn(
          { workflowId: workflow.id, subject: trigger.subject },
          `nats trigger not subscribed: subjects under '${this.bus.subjects.prefix}.' are reserved`,
        );
        return;
      }
      const queue = trigger.queue ?? defaultTriggerQueue(this.bus.subjects, workflow.id);
      subs.push(
        this.bus.subscribe(trigger.subject, (msg) => this.#deliver(workflow.id, index, msg), {
          queue,
        }),
      );
    });
    if (subs.length > 0) {
      this.#subs.set(workflow.id, subs);
      this.logger.info({ workflowId: workflow.id, triggers: subs.length }, 'nats triggers active');
    }
  }

  /** Drops a workflow's subscriptions. */
  remove(workflowId: string): void {
    for (const sub of this.#subs.get(workflowId) ?? []) sub.unsubscribe();
    this.#subs.delete(workflowId);
  }

  /** Subjects subscribed per workflow (for health and tests). */
  active(): Record<string, string[]> {
    return Object.fromEntries(
      [...this.#subs].map(([id, subs]) => [id, subs.map((s) => s.subject)]),
    );
  }

  /** Drops every subscription. */
  close(): void {
    for (const id of [...this.#subs.keys()]) this.remove(id);
  }

  /** Never rejects: whatever happens, a request gets its answer. */
  async #deliver(workflowId: string, index: number, msg: BusMessage): Promise<void> {
    try {
      const { triggerId, result } = await this.handle(workflowId, index, {
        subject: msg.subject,
        data: msg.data,
      });
      msg.respond(replyOf(triggerId, result));
    } catch (err) {
      this.logger.warn({ err, workflowId, subject: msg.subject }, 'nats trigger refused a message');
      msg.respond({ ok: false, error: toWire(err) });
    }
  }
}

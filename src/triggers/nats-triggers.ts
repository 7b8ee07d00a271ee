/**
 * NATS triggers: for every workflow that declares `triggers: [{nats: {subject, queue?}}]`, a
 * subscription whose messages each fire the trigger (its actor applies pause and the overlap
 * policy) with the message's JSON as input. The
 * subscription joins a queue group (by default one per workflow) so that in a cluster each
 * message starts one run, not one per process. A message with a reply subject gets
 * `{ok, data: {executionId}}` or the structured error.
 * @module
 */
import { parseBoundedJson } from '../parse/index.ts';
import type { Logger } from 'pino';
import type { Bus, BusMessage, BusSubscription } from '../bus/index.ts';
import { InvalidArgumentError, toWire } from '../errors.ts';
import type { WorkflowRecord } from '../store/index.ts';

/** Fires the workflow's trigger at `index` (of its `triggers` list) with a message's input. */
export type NatsFireFn = (
  workflowId: string,
  index: number,
  input: Record<string, unknown>,
) => Promise<{ executionId: string }>;

/** The default queue group of a workflow's NATS triggers. */
export function defaultTriggerQueue(workflowId: string): string {
  return `stator-trigger-${workflowId}`;
}

/** Keeps one set of subscriptions per workflow in step with its definition. */
export class NatsTriggers {
  readonly #subs = new Map<string, BusSubscription[]>();

  constructor(
    private readonly bus: Bus,
    private readonly fire: NatsFireFn,
    private readonly logger: Logger,
  ) {}

  /** (Re)subscribes the triggers of a registered workflow. */
  sync(workflow: WorkflowRecord): void {
    this.remove(workflow.id);
    const subs: BusSubscription[] = [];
    (workflow.definition.triggers ?? []).forEach((trigger, index) => {
      if (trigger.kind !== 'nats') return;
      const queue = trigger.queue ?? defaultTriggerQueue(workflow.id);
      subs.push(
        this.bus.subscribe(trigger.subject, (msg) => void this.#fire(workflow.id, index, msg), {
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

  async #fire(workflowId: string, index: number, msg: BusMessage): Promise<void> {
    try {
      // A message from anyone who may publish on the subject: full input bounds first.
      const input = msg.data.length === 0 ? {} : parseBoundedJson(msg.string());
      if (input === null || typeof input !== 'object' || Array.isArray(input)) {
        throw InvalidArgumentError.format([
          { path: 'input', message: 'a trigger message must be a JSON object' },
        ]);
      }
      const result = await this.fire(workflowId, index, input as Record<string, unknown>);
      msg.respond({ ok: true, data: result });
    } catch (err) {
      this.logger.warn({ err, workflowId, subject: msg.subject }, 'nats trigger refused a message');
      msg.respond({ ok: false, error: toWire(err) });
    }
  }
}

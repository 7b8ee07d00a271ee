/**
 * The stream triggers (`nats: {subject, stream}`) of every workflow, kept in step with its
 * definition: one StreamTriggerConsumer per trigger, its durable consumer named after the
 * deployment prefix and the trigger (trigger-names.ts). A consumer whose declaration did not
 * change keeps running across a re-registration; a deleted workflow's consumers are deleted on
 * the server too. Without a source (embedded mode: no JetStream), a stream trigger cannot
 * serve: it is reported as a fault and its trigger shows state `error`.
 * @module
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { UnavailableError, toWire, type WireError } from '../errors.ts';
import type { WorkflowRecord } from '../store/index.ts';
import { StreamTriggerConsumer, type StreamTriggerSource } from './nats-stream-consumer.ts';
import { declaredTriggers } from './trigger-ids.ts';
import type { MessageResult, TriggerMessage } from './trigger-message.ts';
import { streamConsumerName } from './trigger-names.ts';

/** What the stream triggers need from the registry. */
export interface NatsStreamTriggersDeps {
  /** Absent in embedded mode. */
  source: StreamTriggerSource | undefined;
  handle(workflowId: string, index: number, msg: TriggerMessage): Promise<MessageResult>;
  fault(triggerId: string, error: WireError | null): void;
  clock: Clock;
  logger: Logger;
}

interface Running {
  /** The declaration it consumes for (compared on re-registration). */
  key: string;
  consumer: StreamTriggerConsumer;
}

/** Every stream trigger of every workflow. */
export class NatsStreamTriggers {
  /** By trigger id. */
  readonly #running = new Map<string, Running>();
  readonly #byWorkflow = new Map<string, Set<string>>();

  constructor(private readonly deps: NatsStreamTriggersDeps) {}

  /** Starts, keeps or restarts the stream triggers of a registered workflow. */
  async sync(workflow: WorkflowRecord): Promise<void> {
    const ids = new Set<string>();
    for (const d of declaredTriggers(workflow.definition)) {
      const def = d.definition;
      if (def.kind !== 'nats' || def.stream === undefined) continue;
      ids.add(d.id);
      const { source } = this.deps;
      if (source === undefined) {
        const problem = new UnavailableError(
          `trigger '${d.id}' consumes stream '${def.stream}', which needs cluster mode (--nats)`,
        );
        this.deps.fault(d.id, toWire(problem));
        continue;
      }
      // The index too: the consumer hands its messages to the trigger at that place.
      const key = JSON.stringify([def.subject, def.stream, d.index]);
      const live = this.#running.get(d.id);
      if (live?.key === key) continue;
      if (live) await live.consumer.stop();
      const consumer = new StreamTriggerConsumer({
        source,
        triggerId: d.id,
        stream: def.stream,
        subject: def.subject,
        durable: streamConsumerName(source.prefix, d.id),
        handle: (msg) => this.deps.handle(workflow.id, d.index, msg),
        fault: (error) => this.deps.fault(d.id, error),
        clock: this.deps.clock,
        logger: this.deps.logger,
      });
      this.#running.set(d.id, { key, consumer });
      consumer.start();
      this.deps.logger.info({ triggerId: d.id, stream: def.stream }, 'stream trigger consuming');
    }
    for (const id of this.#byWorkflow.get(workflow.id) ?? []) {
      if (!ids.has(id)) await this.#stop(id, true);
    }
    this.#byWorkflow.set(workflow.id, ids);
  }

  /** Stops a workflow's stream triggers; `deleted` also deletes their durable consumers. */
  async remove(workflowId: string, deleted: boolean): Promise<void> {
    for (const id of this.#byWorkflow.get(workflowId) ?? []) await this.#stop(id, deleted);
    this.#byWorkflow.delete(workflowId);
  }

  /** The durable consumer name of each running stream trigger. */
  consumers(): Record<string, string> {
    const { source } = this.deps;
    if (source === undefined) return {};
    return Object.fromEntries(
      [...this.#running.keys()].map((id) => [id, streamConsumerName(source.prefix, id)]),
    );
  }

  /** Stops every consumer (the durable consumers stay on the server for the next start). */
  async close(): Promise<void> {
    await Promise.all([...this.#running.values()].map((r) => r.consumer.stop()));
    this.#running.clear();
    this.#byWorkflow.clear();
  }

  async #stop(triggerId: string, deleteConsumer: boolean): Promise<void> {
    const live = this.#running.get(triggerId);
    this.#running.delete(triggerId);
    if (!live) return;
    await live.consumer.stop();
    if (deleteConsumer) await live.consumer.deleteConsumer();
  }
}

/**
 * The names the NATS triggers give things on the server, all built by the deployment's
 * SubjectSpace (src/bus/subjects.ts): the default queue group of a workflow's subject triggers
 * and the durable consumer of a stream trigger (one per deployment and trigger, so two
 * deployments on one server never share one); and the idempotency key a stream message's run
 * is created under.
 * @module
 */

import { subjectSpace, type SubjectSpace } from '../bus/index.ts';

/** The default queue group of a workflow's NATS triggers: `<prefix>-trigger-<workflowId>`. */
export function defaultTriggerQueue(names: SubjectSpace, workflowId: string): string {
  return names.queues.trigger(workflowId);
}

/**
 * The durable consumer of a stream trigger: `<prefix>_trigger_<triggerId>` (trigger ids are
 * `<workflowId>-nats-<n>`, from workflow ids that are letters, digits, `_` and `-`, and the
 * prefix is a JetStream name token, so the whole is a valid consumer name).
 */
export function streamConsumerName(prefix: string, triggerId: string): string {
  return subjectSpace(prefix).durables.streamTrigger(triggerId);
}

/**
 * The idempotency key of the run a stream message starts: the stream, its creation time (a
 * stream deleted and made again restarts its sequences) and the message's stream sequence, so
 * a redelivery after a crash finds the run its first delivery created.
 */
export function streamMessageKey(stream: string, createdMs: number, seq: number): string {
  return `nats-stream:${stream}:${createdMs}:${seq}`;
}

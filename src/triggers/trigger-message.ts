/**
 * One message on a NATS trigger's subject or stream, from its bytes to what its sender learns:
 * `decodeTriggerMessage` reads the payload with the full input bounds (anyone allowed to publish
 * there can send it) and checks it against the workflow's `inputs`; a refusal names its reason
 * (`malformed_json`, covering payloads past the bounds too, `not_an_object`, `invalid_input`)
 * and carries the structured error. `MessageResult` is what the registry answers for a message,
 * and `replyOf` the `{ok, data | error}` a request on a plain subject gets.
 * @module
 */
import {
  ConflictError,
  InvalidArgumentError,
  MalformedPayloadError,
  toWire,
  type WireError,
} from '../errors.ts';
import type { TriggerRejectReason } from '../events.ts';
import { parseBoundedJson } from '../parse/index.ts';
import { isPlainObject, resolveInputs, type WorkflowDefinition } from '../workflow/index.ts';
import { toStartedRun } from './fire-result.ts';
import type { FireOutcome } from './types.ts';

/** A message as the trigger layer sees it, whichever way it came. */
export interface TriggerMessage {
  subject: string;
  data: Uint8Array;
  /** Set for stream messages: the run's idempotency key (see nats-stream-consumer.ts). */
  idempotencyKey?: string;
}

/** A payload read as a run's input, or refused with its reason. */
export type DecodedMessage =
  | { ok: true; input: Record<string, unknown> }
  | { ok: false; reason: TriggerRejectReason; error: WireError };

/** What became of a message. */
export type MessageResult =
  | FireOutcome
  /** Refused before it could fire (announced as `trigger.rejected`). */
  | { status: 'rejected'; reason: TriggerRejectReason; error: WireError }
  /** Not fired: the trigger is paused and the message can wait (stream triggers). */
  | { status: 'held' };

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Reads `data` as the input of a run of `definition`. An empty payload is `{}`. */
export function decodeTriggerMessage(
  data: Uint8Array,
  definition: WorkflowDefinition,
): DecodedMessage {
  let value: unknown;
  try {
    value = data.length === 0 ? {} : parseBoundedJson(decoder.decode(data));
  } catch (err) {
    // Invalid UTF-8 is no more JSON than a truncated object is.
    const error = toWire(
      err instanceof TypeError ? new MalformedPayloadError(`malformed JSON: ${err.message}`) : err,
    );
    return { ok: false, reason: 'malformed_json', error };
  }
  if (!isPlainObject(value)) {
    const error = InvalidArgumentError.format([
      { path: 'input', message: `a trigger message must be a JSON object, not ${kindOf(value)}` },
    ]);
    return { ok: false, reason: 'not_an_object', error: toWire(error) };
  }
  try {
    resolveInputs(definition, value);
  } catch (err) {
    return { ok: false, reason: 'invalid_input', error: toWire(err) };
  }
  return { ok: true, input: value };
}

/** The reply a request on a trigger subject gets (the errors `trigger.fire` callers get). */
export function replyOf(
  triggerId: string,
  result: MessageResult,
): { ok: true; data: { executionId: string; queued?: true } } | { ok: false; error: WireError } {
  if (result.status === 'rejected') return { ok: false, error: result.error };
  if (result.status === 'held') {
    const error = new ConflictError(`trigger '${triggerId}' is paused`, { triggerId });
    return { ok: false, error: toWire(error) };
  }
  try {
    return { ok: true, data: toStartedRun(triggerId, result) };
  } catch (err) {
    return { ok: false, error: toWire(err) };
  }
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

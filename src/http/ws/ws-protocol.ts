/**
 * The WebSocket protocol of `GET /ws`, version 1: JSON text frames.
 *
 * Client → server:
 * - `{"type":"subscribe", "executionId"?, "workflowId"?, "sessionId"?, "kind"?, "id"?,
 *   "eventType"?, "severity"?, "since"?}`: `type` names the message, so the event type filter
 *   (exact, or a prefix ending in `.`) is `eventType`; `sessionId` is `kind: "session", id`;
 *   `since` replays kept events after that sequence number first.
 * - `{"type":"unsubscribe", ...the same filter fields}`, or `{"type":"unsubscribe","all":true}`
 * - `{"type":"ping", "ref"?}`
 *
 * Server → client: `connected`, `subscribed`, `unsubscribed`, `event`, `gap`, `dropped`,
 * `pong`, `error` (see ServerMessage). A subscription is named by its canonical filter key; an
 * event matching two subscriptions of one socket comes once for each, tagged with its key.
 * @module
 */
import { z } from 'zod';
import type { StampedEvent } from '../../events.ts';
import type { WireError } from '../../errors.ts';
import type { EventFilter, EventGap } from '../../runtime/index.ts';
import { eventFilterSchema, parseInput } from '../../commands/index.ts';
import { InvalidArgumentError, MalformedPayloadError } from '../../errors.ts';
import { checkJsonBounds } from '../../parse/index.ts';

/** Version announced in `connected`. */
export const WS_PROTOCOL_VERSION = 1;

const filterFields = {
  executionId: z.string().min(1).max(256).optional(),
  workflowId: z.string().min(1).max(256).optional(),
  sessionId: z.string().min(1).max(256).optional(),
  kind: z.string().optional(),
  id: z.string().min(1).max(256).optional(),
  eventType: z.string().optional(),
  severity: z.string().optional(),
};

const clientMessageSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('subscribe'),
    ...filterFields,
    since: z.number().int().min(0).optional(),
  }),
  z.strictObject({ type: z.literal('unsubscribe'), ...filterFields, all: z.boolean().optional() }),
  z.strictObject({
    type: z.literal('ping'),
    ref: z.union([z.string().max(256), z.number()]).optional(),
  }),
]);

/** A client message after validation. */
export type ClientMessage =
  | { type: 'subscribe'; filter: EventFilter; key: string; since?: number }
  | { type: 'unsubscribe'; filter: EventFilter; key: string; all: boolean }
  | { type: 'ping'; ref?: string | number };

/** A message the server sends a WebSocket client. */
export type ServerMessage =
  | { type: 'connected'; protocol: number; maxSubscriptions: number }
  | { type: 'subscribed'; subscription: string; filter: EventFilter }
  | { type: 'unsubscribed'; subscription: string; filter: EventFilter }
  | { type: 'event'; subscription: string; event: StampedEvent }
  | ({ type: 'gap'; subscription: string } & EventGap)
  | { type: 'dropped'; subscription: string; dropped: number }
  | { type: 'pong'; ref?: string | number }
  | { type: 'error'; error: WireError };

/** The canonical key of a filter (sorted fields), naming a subscription. */
export function filterKey(filter: EventFilter): string {
  const entries = Object.entries(filter)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? '*' : entries.map(([k, v]) => `${k}=${String(v)}`).join('&');
}

/** Decodes and validates one text frame; throws an InvalidArgumentError naming the field. */
export function parseClientMessage(text: string): ClientMessage {
  checkJsonBounds(text); // input_bounds, before anything looks at the message
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new MalformedPayloadError('message is not JSON');
  }
  const msg = parseInput(clientMessageSchema, raw);
  if (msg.type === 'ping') return msg.ref === undefined ? { type: 'ping' } : msg;
  const { sessionId, eventType, ...rest } = msg;
  if (sessionId !== undefined && (rest.kind !== undefined || rest.id !== undefined)) {
    throw InvalidArgumentError.format([
      { path: 'sessionId', message: "cannot be combined with 'kind' or 'id'" },
    ]);
  }
  // Through the same filter schema as the SSE query, so both front doors accept the same values.
  const filter = parseInput(eventFilterSchema, {
    executionId: rest.executionId,
    workflowId: rest.workflowId,
    kind: sessionId !== undefined ? 'session' : rest.kind,
    id: sessionId ?? rest.id,
    type: eventType,
    severity: rest.severity,
  }) as EventFilter;
  for (const k of Object.keys(filter) as (keyof EventFilter)[]) {
    if (filter[k] === undefined) delete filter[k];
  }
  const key = filterKey(filter);
  if (msg.type === 'unsubscribe')
    return { type: 'unsubscribe', filter, key, all: msg.all === true };
  return msg.since === undefined
    ? { type: 'subscribe', filter, key }
    : { type: 'subscribe', filter, key, since: msg.since };
}

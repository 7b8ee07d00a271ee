/**
 * One message of the event stream as the monitor takes it: the stamped event its publisher
 * sent on `stator.<kind>.<id>.out`, checked, with `seq` replaced by the message's stream
 * sequence (the publisher's own number means nothing to the rest of the cluster).
 * @module
 */
import type { JsMsg } from '@nats-io/jetstream';
import { z } from 'zod';
import type { StampedEvent } from '../../events.ts';

/** What every stamped event carries; the rest of its fields pass through untouched. */
const stampedSchema = z.looseObject({
  type: z.string().min(1),
  source: z.string().min(1),
  ts: z.string(),
  severity: z.string(),
});

/** The message's event numbered by the stream; undefined for a message that is not one. */
export function streamEvent(msg: JsMsg): StampedEvent | undefined {
  let data: unknown;
  try {
    data = msg.json();
  } catch {
    return undefined;
  }
  const parsed = stampedSchema.safeParse(data);
  if (!parsed.success) return undefined;
  const event = parsed.data as unknown as StampedEvent;
  event.seq = msg.seq;
  return event;
}

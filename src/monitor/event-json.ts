/**
 * JSON of a published event, computed once however many subscribers send it: the monitor hands
 * the same event object to every subscriber, so a weak cache keyed by it turns N serialisations
 * of a fan-out into one (and lets the text go with the event).
 * @module
 */
import type { StampedEvent } from '../events.ts';

const cache = new WeakMap<StampedEvent, string>();

/** `JSON.stringify(event)`, cached per event object. Events are not mutated once published. */
export function eventJson(event: StampedEvent): string {
  let json = cache.get(event);
  if (json === undefined) {
    json = JSON.stringify(event);
    cache.set(event, json);
  }
  return json;
}

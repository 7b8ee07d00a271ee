/**
 * Children named by slot (`step:<slot>` in an execution, `execution:<slot>` in an engine): a
 * fixed, small set of child ids keeps the parent's children map the same shape from one spawn to
 * the next. This module builds those ids and reads the slot back from the child's
 * `xstate.done.actor.<id>` / `xstate.error.actor.<id>` event.
 * @module
 */

const DONE = 'xstate.done.actor.';
const ERROR = 'xstate.error.actor.';

/** The id of the child in `slot` among children named `<prefix><slot>`. */
export function slotChildId(prefix: string, slot: number): string {
  return `${prefix}${slot}`;
}

/** The slot of the `<prefix><slot>` child an `xstate.done/error.actor.*` event is about, or -1. */
export function slotOfEvent(eventType: string, prefix: string): number {
  const head = eventType.startsWith(DONE) ? DONE : eventType.startsWith(ERROR) ? ERROR : undefined;
  if (head === undefined || !eventType.startsWith(prefix, head.length)) return -1;
  const slot = Number(eventType.slice(head.length + prefix.length));
  return Number.isInteger(slot) && slot >= 0 ? slot : -1;
}

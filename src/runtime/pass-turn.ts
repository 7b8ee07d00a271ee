/**
 * The `passTurn` action supplied to step machines: a noop step's whole attempt. It sends the
 * step `turn.passed` from a macrotask (setImmediate), so the loop serves I/O and timers between
 * noop steps and a 10,000-step noop DAG never runs as one synchronous burst.
 * @module
 */
import type { AnyActorRef } from 'xstate';

const TURN_PASSED = { type: 'turn.passed' } as const;

/** Sends `turn.passed` to the step on the next turn, unless it has stopped meanwhile. */
export function passTurn({ self }: { self: AnyActorRef }): void {
  setImmediate(() => {
    if (self.getSnapshot().status === 'active') self.send(TURN_PASSED);
  });
}

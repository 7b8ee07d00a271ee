/**
 * Which store failures the outbox waits out: `unavailable` is what every store answers when it
 * cannot reach its backend (the JetStream store maps timeouts, lost connections and "no
 * responders" to it: jetstream-errors.ts). Anything else (a missing record, a conflict, a bad
 * value) would fail again the same way, so it is the write's answer.
 * @module
 */
import { StatorError } from '../../errors.ts';

/** True for a failure that may succeed once the store is reachable again. */
export function isUnreachable(err: unknown): boolean {
  return err instanceof StatorError && err.code === 'unavailable';
}

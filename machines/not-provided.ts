/**
 * Placeholder for implementations a machine refers to by name but the runtime supplies with
 * `.provide()`. Using one that was not provided fails loudly instead of silently doing nothing.
 * @module
 */
import { fromPromise, type AnyActorLogic } from 'xstate';

/** A typed actor-logic placeholder that rejects with "not provided" when started. */
export function notProvided<T extends AnyActorLogic>(name: string): T {
  return fromPromise(async () => {
    throw new Error(`actor '${name}' was not provided: supply it with machine.provide()`);
  }) as unknown as T;
}

/** An action placeholder that throws "not provided" when executed. */
export function notProvidedAction(name: string): () => void {
  return () => {
    throw new Error(`action '${name}' was not provided: supply it with machine.provide()`);
  };
}

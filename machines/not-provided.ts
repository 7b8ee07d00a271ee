/**
 * Placeholders for implementations a machine refers to by name but the runtime supplies with
 * `.provide()`. Using one that was not provided fails loudly instead of silently doing nothing.
 * @module
 */
import { fromPromise, type PromiseActorLogic } from 'xstate';

/** A typed promise-actor placeholder that rejects with "not provided" when started. */
export function notProvided<TOutput, TInput>(name: string): PromiseActorLogic<TOutput, TInput> {
  return fromPromise<TOutput, TInput>(async () => {
    throw new Error(`actor '${name}' was not provided: supply it with machine.provide()`);
  });
}

/** An action placeholder that throws "not provided" when executed. */
export function notProvidedAction(name: string): () => void {
  return () => {
    throw new Error(`action '${name}' was not provided: supply it with machine.provide()`);
  };
}

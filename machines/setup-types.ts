/**
 * The `types` of a machine's `setup()`, stated without a cast. XState reads `types` only at
 * compile time (setup() never looks at the value), so a value that is absent but typed is enough:
 * `setup({ types: setupTypes<{ context: C; events: E; input: I }>(), ... })`.
 * @module
 */
import type { EventObject, MachineContext } from 'xstate';

/** The type parameters a machine states through `setup({ types })`. */
export interface MachineTypes {
  context?: MachineContext;
  events?: EventObject;
  input?: unknown;
  output?: unknown;
  emitted?: EventObject;
}

/** A typed absent value for `setup({ types })`; see the module comment. */
export function setupTypes<T extends MachineTypes>(): T | undefined {
  return undefined;
}

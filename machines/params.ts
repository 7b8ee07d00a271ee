/**
 * `params` functions for transitions: they hand a named action or guard the data of the event
 * its transition narrowed, so implementations take typed params instead of casting the event.
 * @module
 */

/** The event itself, as its transition narrowed it. */
export const eventOf = <T>({ event }: { event: T }): T => event;

/** What an invoked actor resolved with (`onDone`). */
export const outputOf = <T>({ event }: { event: { output: T } }): T => event.output;

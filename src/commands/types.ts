/**
 * The shape of one command: a dotted name, a zod input schema and a handler over the Stator
 * service. HTTP routes and `stator.api.<command>` requests decode into the same commands.
 * @module
 */
import type { z } from 'zod';
// eslint-disable-next-line no-restricted-imports -- cycle: runtime/index.ts imports this module
import type { Stator } from '../runtime/types.ts';

/** One command of the API: validated input in, JSON-serialisable data out. */
export interface Command<S extends z.ZodType = z.ZodType, O = unknown> {
  /** Dotted name, e.g. `workflow.execute`; also the NATS subject suffix. */
  readonly name: string;
  /** One line for help texts and discovery. */
  readonly description: string;
  /** Validates and normalises the raw payload. */
  readonly input: S;
  /** Runs the command against the service. Throws StatorErrors. */
  readonly handler: (stator: Stator, input: z.output<S>) => Promise<O>;
  /**
   * Set on commands that change state: `dispatch` passes them through the rate limiter, in the
   * caller's bucket and, when `target` names one (e.g. `session:<id>`), in that bucket too.
   * Reads leave it unset.
   */
  readonly rateLimit?: { readonly target?: (input: z.output<S>) => string | undefined };
}

/** Who sends a command, as its front door tells (the rate limiter's per-client bucket). */
export interface CommandContext {
  /** Caller identity: `http:<remote address>`, `nats:<reply inbox prefix>`. */
  client?: string;
}

/** Declares a command with its input type inferred from the schema. */
export function defineCommand<S extends z.ZodType, O>(command: Command<S, O>): Command<S, O> {
  return command;
}

/** What a command resolves to, inferred from its definition. */
export type CommandOutput<C> = C extends Command<z.ZodType, infer O> ? O : never;

/**
 * The command registry and `dispatch()`: validate a raw payload against the command's schema,
 * then run its handler. The single entry of both front doors (HTTP and `stator.api.*`).
 * @module
 */
import type { z } from 'zod';
// eslint-disable-next-line no-restricted-imports -- cycle: runtime/index.ts imports this module
import type { Stator } from '../runtime/types.ts';
import type { Command, CommandContext, CommandOutput } from './types.ts';
import { NotFoundError, toStatorError, toWire, type WireError } from '../errors.ts';
import { parseInput } from './schemas.ts';
import {
  workflowDelete,
  workflowExecute,
  workflowGet,
  workflowList,
  workflowRegister,
} from './workflow-commands.ts';
import {
  executionCancel,
  executionGet,
  executionList,
  executionLogs,
} from './execution-commands.ts';
import { executionRetry } from './retry-command.ts';
import { executionArtifacts } from './artifact-commands.ts';
import { health, machineGet, machineList } from './system-commands.ts';
import { metrics, statistics } from './monitor-commands.ts';
import { TRIGGER_COMMANDS } from './trigger-commands.ts';
import { SESSION_COMMANDS } from './session-commands.ts';
import { ENGINE_COMMANDS } from './engine-commands.ts';
import { actorGet, actorList } from './actor-commands.ts';
import { APPROVAL_COMMANDS } from './approval-commands.ts';
import { PAUSE_COMMANDS } from './pause-commands.ts';
import { planCreate } from './plan-commands.ts';
import { clientRateKey } from './rate-limiter.ts';

/** Every command, by name. */
export const COMMANDS = {
  'workflow.register': workflowRegister,
  'workflow.list': workflowList,
  'workflow.get': workflowGet,
  'workflow.delete': workflowDelete,
  'workflow.execute': workflowExecute,
  'execution.list': executionList,
  'execution.get': executionGet,
  'execution.logs': executionLogs,
  'execution.cancel': executionCancel,
  'execution.retry': executionRetry,
  'execution.artifacts': executionArtifacts,
  health,
  'machine.list': machineList,
  'machine.get': machineGet,
  statistics,
  metrics,
  ...TRIGGER_COMMANDS,
  ...SESSION_COMMANDS,
  ...ENGINE_COMMANDS,
  'actor.list': actorList,
  'actor.get': actorGet,
  ...APPROVAL_COMMANDS,
  ...PAUSE_COMMANDS,
  'plan.create': planCreate,
} as const;

/** A known command name. */
export type CommandName = keyof typeof COMMANDS;

/** What a command answers. */
export type CommandResult<N extends CommandName> = CommandOutput<(typeof COMMANDS)[N]>;

/** The names of every command, e.g. to subscribe `stator.api.<name>` for each. */
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

/** True when `name` is a known command. */
export function isCommandName(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

/** Looks a command up; NotFoundError for an unknown name. */
export function getCommand(name: string): Command {
  if (!isCommandName(name)) throw new NotFoundError('command', name);
  return COMMANDS[name] as unknown as Command;
}

/**
 * Validates `rawInput` (absent means `{}`) and runs the command. Always rejects with a
 * StatorError: InvalidArgumentError with field paths, NotFoundError for an unknown command,
 * RateLimitedError for a state-changing command over its rate (`context.client`'s bucket, and
 * its target's), or whatever the service raised.
 */
export async function dispatch<N extends string>(
  stator: Stator,
  name: N,
  rawInput?: unknown,
  context: CommandContext = {},
): Promise<N extends CommandName ? CommandResult<N> : unknown> {
  const started = performance.now();
  let errorCode: string | undefined;
  try {
    const command = getCommand(name);
    const input: z.output<z.ZodType> = parseInput(command.input, rawInput ?? {});
    if (command.rateLimit && stator.rateLimiter) {
      const target = command.rateLimit.target?.(input);
      const keys = context.client === undefined ? [] : [clientRateKey(context.client)];
      if (target !== undefined) keys.push(target);
      stator.rateLimiter.check(keys);
    }
    return (await command.handler(stator, input)) as N extends CommandName
      ? CommandResult<N>
      : unknown;
  } catch (err) {
    const e = toStatorError(err);
    errorCode = e.code;
    throw e;
  } finally {
    // Metrics: unknown names are counted as `unknown` so labels stay bounded.
    const label = isCommandName(name) ? name : 'unknown';
    stator.recordCommand?.(label, (performance.now() - started) / 1000, errorCode);
  }
}

/** The answer of a request-reply command: `{ok: true, data}` or `{ok: false, error}`. */
export type CommandReply = { ok: true; data: unknown } | { ok: false; error: WireError };

/** Runs a command and wraps the outcome as a reply for `stator.api.<command>`; never rejects. */
export async function dispatchReply(
  stator: Stator,
  name: string,
  rawInput?: unknown,
  context?: CommandContext,
): Promise<CommandReply> {
  try {
    return { ok: true, data: await dispatch(stator, name, rawInput, context) };
  } catch (err) {
    return { ok: false, error: toWire(err) };
  }
}

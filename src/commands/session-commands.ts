/**
 * Session commands (`stator.api.session.*` and the routes under `/api/sessions`): create,
 * update, delete, list, get, start, stop, restart, input, next-actionable, set-preference,
 * health-check and logs. Those that change state pass the rate limiter, in the caller's bucket
 * and in the session's own.
 * @module
 */
import { z } from 'zod';
// eslint-disable-next-line no-restricted-imports -- cycle: runtime/index.ts imports this module
import type { Stator } from '../runtime/types.ts';
import {
  SESSION_STATUSES,
  parseSessionDefinition,
  sessionNameSchema,
  sessionPreferencesSchema,
  sessionTagsSchema,
  type SessionManager,
  type SessionStatus,
} from '../sessions/index.ts';
import { MalformedPayloadError, UnavailableError } from '../errors.ts';
import { parseWorkflowText } from '../workflow/index.ts';
import { defineCommand } from './types.ts';
import { cursorSchema, idSchema, limitSchema, optionalString } from './schemas.ts';

/** Upper bound of one `session.input` text, characters (the manager enforces `maxInputBytes`). */
export const MAX_SESSION_INPUT_CHARS = 1024 * 1024;
/** Upper bound of `session.logs` lines per call. */
export const MAX_SESSION_LOG_LINES = 10_000;

/** The session runtime of a service; UnavailableError when it has none (a partial Stator). */
export function sessionsOf(stator: Stator): SessionManager {
  const manager: SessionManager | undefined = stator.sessions;
  if (!manager) throw new UnavailableError('sessions are not available on this service');
  return manager;
}

/** Key of a session's rate-limit bucket. */
export const sessionRateKey = (id: string): string => `session:${id}`;

/** Rate limit of a command addressing one session: the caller's bucket and the session's. */
const perSession = { target: ({ id }: { id: string }) => sessionRateKey(id) };
/** Rate limit of a command creating something: the caller's bucket only. */
const perClient = {};

const idInput = z.object({ id: idSchema });
const emptyAsUndefined = (v: unknown): unknown => (v === '' || v === null ? undefined : v);
const statusSchema = z.enum(SESSION_STATUSES as [SessionStatus, ...SessionStatus[]]);

/**
 * Parses a definition sent as text into an object, as workflow definitions are read: YAML, or
 * JSON when it starts with `{` (`malformed_yaml` or `malformed_json`, with the line).
 */
function definitionObject(definition: string | Record<string, unknown>): unknown {
  if (typeof definition !== 'string') return definition;
  try {
    return parseWorkflowText(definition);
  } catch (err) {
    if (!(err instanceof MalformedPayloadError)) throw err;
    const message = `malformed session definition: ${err.message}`;
    throw new MalformedPayloadError(message, err.cause, err.format);
  }
}

/** `session.create`: a definition (object, or YAML/JSON text); started when `autostart`. */
export const sessionCreate = defineCommand({
  name: 'session.create',
  description: 'Creates a session from a definition (object or YAML/JSON text)',
  // Checked here, before the rate limiter: a bad definition costs the caller no token.
  input: z
    .union([z.string().min(1, 'the definition text is empty'), z.record(z.string(), z.unknown())])
    .transform((definition) => parseSessionDefinition(definitionObject(definition))),
  handler: (stator, definition) => sessionsOf(stator).create(definition),
  rateLimit: perClient,
});

/** `session.update`: name, tags and preferences; the process is left alone. */
export const sessionUpdate = defineCommand({
  name: 'session.update',
  description: 'Updates the name, tags or preferences of a session',
  input: z.strictObject({
    id: idSchema,
    name: sessionNameSchema.optional(),
    tags: sessionTagsSchema.optional(),
    preferences: sessionPreferencesSchema.optional(),
  }),
  handler: (stator, { id, ...patch }) => sessionsOf(stator).update(id, patch),
  rateLimit: perSession,
});

/** `session.delete`: stops the session (its whole process group) and forgets it. */
export const sessionDelete = defineCommand({
  name: 'session.delete',
  description: 'Stops a session and deletes it',
  input: idInput,
  handler: async (stator, { id }) => {
    await sessionsOf(stator).delete(id);
    return { id, deleted: true as const };
  },
  rateLimit: perSession,
});

/** `session.list`: one page of sessions, filtered by status and tag. */
export const sessionList = defineCommand({
  name: 'session.list',
  description: 'Lists sessions, filtered by status and tag',
  input: z.object({
    status: z.preprocess(emptyAsUndefined, statusSchema.optional()),
    tag: optionalString,
    limit: limitSchema,
    cursor: cursorSchema,
  }),
  handler: (stator, query) => sessionsOf(stator).list(query),
});

/** `session.get`: one session with its status and activity. */
export const sessionGet = defineCommand({
  name: 'session.get',
  description: 'Returns a session with its status, activity, pid and restarts',
  input: idInput,
  handler: (stator, { id }) => sessionsOf(stator).get(id),
});

/** `session.start`: starts the process of a created or stopped session. */
export const sessionStart = defineCommand({
  name: 'session.start',
  description: 'Starts the process of a session',
  input: idInput,
  handler: (stator, { id }) => sessionsOf(stator).start(id),
  rateLimit: perSession,
});

/** `session.stop`: SIGTERM to the process group, SIGKILL after the grace period. */
export const sessionStop = defineCommand({
  name: 'session.stop',
  description: 'Stops a session (SIGTERM, then SIGKILL after a grace period)',
  input: idInput,
  handler: (stator, { id }) => sessionsOf(stator).stop(id),
  rateLimit: perSession,
});

/** `session.restart`: stop, then start. */
export const sessionRestart = defineCommand({
  name: 'session.restart',
  description: 'Restarts a session',
  input: idInput,
  handler: (stator, { id }) => sessionsOf(stator).restart(id),
  rateLimit: perSession,
});

/** `session.input`: writes text to the session's stdin, with a newline unless told not to. */
export const sessionInput = defineCommand({
  name: 'session.input',
  description: 'Writes text to the stdin of a session (newline appended unless newline: false)',
  input: z.object({
    id: idSchema,
    text: z.string().max(MAX_SESSION_INPUT_CHARS),
    newline: z.boolean().default(true),
  }),
  handler: (stator, { id, text, newline }) => sessionsOf(stator).input(id, text, newline),
  rateLimit: perSession,
});

/** `session.next-actionable`: the session that has awaited input longest; not_found when none. */
export const sessionNextActionable = defineCommand({
  name: 'session.next-actionable',
  description: 'Of the sessions awaiting input, the one waiting longest (not_found when none)',
  input: z.object({}),
  handler: (stator) => sessionsOf(stator).nextActionable(),
});

/** `session.set-preference`: sets one key of the session's preferences (no value: removes it). */
export const sessionSetPreference = defineCommand({
  name: 'session.set-preference',
  description: 'Sets one preference of a session; without a value, removes it',
  input: z.object({
    id: idSchema,
    key: z.string().trim().min(1).max(128),
    value: z.unknown().optional(),
  }),
  handler: (stator, { id, key, value }) => sessionsOf(stator).setPreference(id, key, value),
  rateLimit: perSession,
});

/** `session.health-check`: the session with whether its process is alive. */
export const sessionHealthCheck = defineCommand({
  name: 'session.health-check',
  description: 'Checks that the process of a session is alive',
  input: idInput,
  handler: (stator, { id }) => sessionsOf(stator).healthCheck(id),
});

/** `session.logs`: buffered output lines after `since` (a line's seq), oldest first. */
export const sessionLogs = defineCommand({
  name: 'session.logs',
  description: 'Returns buffered output lines of a session (since: after this seq; limit)',
  input: z.object({
    id: idSchema,
    since: z.preprocess(emptyAsUndefined, z.coerce.number().int().min(0).optional()),
    limit: z.preprocess(
      emptyAsUndefined,
      z.coerce.number().int().min(1).max(MAX_SESSION_LOG_LINES).optional(),
    ),
  }),
  handler: async (stator, { id, since, limit }) => ({
    items: await sessionsOf(stator).logs(id, {
      ...(since !== undefined && { since }),
      ...(limit !== undefined && { limit }),
    }),
  }),
});

/** The session commands by name, for the registry in dispatch.ts. */
export const SESSION_COMMANDS = {
  'session.create': sessionCreate,
  'session.update': sessionUpdate,
  'session.delete': sessionDelete,
  'session.list': sessionList,
  'session.get': sessionGet,
  'session.start': sessionStart,
  'session.stop': sessionStop,
  'session.restart': sessionRestart,
  'session.input': sessionInput,
  'session.next-actionable': sessionNextActionable,
  'session.set-preference': sessionSetPreference,
  'session.health-check': sessionHealthCheck,
  'session.logs': sessionLogs,
} as const;

// @ts-check
/**
 * The process host's wire protocol: its version, its bounds, and the zod schemas every message is
 * parsed with on both ends (the host parses what clients send, the client what the host sends).
 * Plain JavaScript so the host runs on bare `node`; the types live in protocol-types.ts and
 * `npx tsc -p src/host` checks these schemas against them.
 * @module
 */
import { z } from 'zod';

/**
 * @import { ClientHello, HostRequest, HostMessage, HostSpawnSpec, HeldProcessInfo,
 *   AttachResult, SpawnResult, ListResult, ShutdownResult } from './protocol-types.ts'
 * @import { WireError } from '../errors.ts'
 */

/** Version of this protocol; a hello with another version is refused. */
export const PROTOCOL_VERSION = 1;
/** Longest message (one JSON line, terminator excluded), both ways. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Largest line cap a spawn may ask for; with 64K-char batches an event stays under 1 MiB. */
export const MAX_LINE_LENGTH = 64 * 1024;
/** Longest process key. */
export const MAX_KEY_LENGTH = 512;
/** Largest timer delay Node accepts (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
/** Exit code of a host that found another host holding its data directory's lock. */
export const EXIT_LOCKED = 3;
/** Name of the environment variable the host adds to every process it starts (see reap.js). */
export const MARKER_ENV = 'STATOR_HOST_PROC';

const ERROR_CODES = /** @type {const} */ ([
  'invalid_argument',
  'malformed_json',
  'invalid_workflow',
  'not_found',
  'conflict',
  'timeout',
  'cancelled',
  'non_retryable',
  'no_responders',
  'unauthorized',
  'rate_limited',
  'unavailable',
  'internal',
]);
const SIGNALS = /** @type {const} */ ([
  'SIGTERM',
  'SIGKILL',
  'SIGINT',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGSTOP',
  'SIGCONT',
  'SIGWINCH',
]);

// Printable ASCII without spaces: keys end up in logs, the environment marker and file names.
const key = z
  .string()
  .min(1)
  .max(MAX_KEY_LENGTH)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');
const offset = z.number().int().min(0);
const id = z.number().int().min(0);
const epochMs = z.number().finite().min(0);
const stream = z.enum(['stdout', 'stderr']);

/** @type {z.ZodType<WireError>} */
export const wireErrorSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  details: z.unknown().optional(),
  recoverable: z.boolean(),
});

/** @type {z.ZodType<HostSpawnSpec>} */
export const spawnSpecSchema = z
  .object({
    key,
    argv: z.array(z.string()).min(1).optional(),
    script: z.string().optional(),
    shell: z.string().min(1).optional(),
    cwd: z.string().startsWith('/', 'must be an absolute path'),
    env: z.record(z.string(), z.string()),
    stdin: z.enum(['pipe', 'ignore']).optional(),
    deadlineAt: epochMs.optional(),
    killGraceMs: z.number().int().min(0).max(MAX_TIMER_MS).optional(),
    maxLineLength: z.number().int().min(16).max(MAX_LINE_LENGTH).optional(),
    spoolBytes: z
      .number()
      .int()
      .min(4096)
      .max(2 ** 30)
      .optional(),
    endGroupOnExit: z.boolean().optional(),
    exitDrainMs: z.number().int().min(0).max(60_000).optional(),
  })
  .strict()
  .refine((s) => (s.argv === undefined) !== (s.script === undefined), {
    message: 'exactly one of argv or script is required',
    path: ['argv'],
  })
  .refine((s) => s.argv === undefined || s.argv[0] !== '', {
    message: 'program must not be empty',
    path: ['argv', 0],
  });

/** @type {z.ZodType<ClientHello>} */
export const clientHelloSchema = z
  .object({ type: z.literal('hello'), version: z.number().int(), client: z.string().optional() })
  .strict();

const attachOptions = z.object({ fromOffset: offset, partials: z.boolean().optional() }).strict();

/** @type {z.ZodType<HostRequest>} */
export const requestSchema = z.discriminatedUnion('op', [
  z
    .object({
      id,
      op: z.literal('spawn'),
      spec: spawnSpecSchema,
      attach: attachOptions.optional(),
      releaseOnExit: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      id,
      op: z.literal('attach'),
      key,
      fromOffset: offset,
      partials: z.boolean().optional(),
    })
    .strict(),
  z.object({ id, op: z.literal('detach'), key }).strict(),
  z.object({ id, op: z.literal('list') }).strict(),
  z.object({ id, op: z.literal('release'), key }).strict(),
  z.object({ id, op: z.literal('signal'), key, signal: z.enum(SIGNALS) }).strict(),
  z.object({ id, op: z.literal('cancel'), key }).strict(),
  z.object({ id, op: z.literal('write'), key, data: z.string() }).strict(),
  z.object({ id, op: z.literal('closeStdin'), key }).strict(),
  z.object({ id, op: z.literal('shutdown'), killProcesses: z.boolean() }).strict(),
  z.object({ id, op: z.literal('leash'), ms: z.number().int().min(0).max(MAX_TIMER_MS) }).strict(),
]);

const exitInfo = z.object({
  exitCode: z.number().int().nullable(),
  signal: z.string().nullable(),
  timedOut: z.boolean(),
  cancelled: z.boolean(),
  spawnError: z.string().nullable(),
  endedAt: epochMs,
  durationMs: z.number().min(0),
});
const lostInfo = z.object({ killed: z.boolean(), at: epochMs });

/** @type {z.ZodType<HeldProcessInfo>} */
export const heldProcessInfoSchema = z.object({
  key,
  state: z.enum(['running', 'exited', 'lost']),
  pid: z.number().int().positive().nullable(),
  startTime: z.string().nullable(),
  startedAt: epochMs,
  deadlineAt: epochMs.nullable(),
  stdin: z.enum(['open', 'closed', 'none']),
  exit: exitInfo.nullable(),
  lost: lostInfo.nullable(),
  spool: z.object({ firstOffset: offset, nextOffset: offset }),
});

/** @type {z.ZodType<AttachResult>} */
export const attachResultSchema = z.object({
  process: heldProcessInfoSchema,
  partials: z.object({ stdout: z.string(), stderr: z.string() }),
});
/** @type {z.ZodType<SpawnResult>} */
export const spawnResultSchema = z.object({
  created: z.boolean(),
  process: heldProcessInfoSchema,
  attach: attachResultSchema.optional(),
});
/** @type {z.ZodType<ListResult>} */
export const listResultSchema = z.object({ processes: z.array(heldProcessInfoSchema) });
/** @type {z.ZodType<ShutdownResult>} */
export const shutdownResultSchema = z.object({ live: z.number().int().min(0) });
/** @type {z.ZodType<Record<string, never>>} */
export const emptyResultSchema = z.object({}).strict();

const reply = z.discriminatedUnion('ok', [
  z.object({ type: z.literal('reply'), id, ok: z.literal(true), result: z.unknown() }),
  z.object({ type: z.literal('reply'), id, ok: z.literal(false), error: wireErrorSchema }),
]);

/** @type {z.ZodType<HostMessage>} */
export const hostMessageSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('output'),
    key,
    offset,
    skipped: offset,
    lines: z.array(z.tuple([stream, z.string()])),
  }),
  z.object({ type: z.literal('exit'), key, process: heldProcessInfoSchema }),
  reply,
  z.object({ type: z.literal('partial'), key, stream, text: z.string() }),
  z.object({ type: z.literal('stdin-closed'), key }),
  z.object({
    type: z.literal('hello'),
    version: z.number().int(),
    hostPid: z.number().int().positive(),
    instance: z.string(),
  }),
  z.object({ type: z.literal('error'), error: wireErrorSchema }),
]);

/** One message as a line of the wire format. */
export function encodeMessage(/** @type {unknown} */ message) {
  return `${JSON.stringify(message)}\n`;
}

/**
 * A wire error from field issues, naming the first few fields in its message (the same shape
 * as `InvalidArgumentError.format` in src/errors.ts, which the host cannot import).
 * @param {z.ZodError} error
 * @returns {WireError}
 */
export function invalidArgument(error) {
  const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const head = issues
    .slice(0, 3)
    .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
    .join('; ');
  const more = issues.length > 3 ? ` (+${issues.length - 3} more)` : '';
  return {
    code: 'invalid_argument',
    message: `${head}${more}`,
    details: { issues },
    recoverable: false,
  };
}

/**
 * A wire error.
 * @param {WireError['code']} code
 * @param {string} message
 * @param {unknown} [details]
 * @returns {WireError}
 */
export function wireError(code, message, details) {
  const recoverable = code === 'unavailable' || code === 'timeout';
  return details === undefined
    ? { code, message, recoverable }
    : { code, message, details, recoverable };
}

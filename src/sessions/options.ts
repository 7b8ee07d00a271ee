/**
 * Options of the session manager: given as SessionManagerOptions, resolved once.
 * @module
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.ts';

/** Default of `SessionManagerOptions.maxSessions`. */
export const DEFAULT_MAX_SESSIONS = 50;
/** Default of `SessionManagerOptions.maxLogLines`. */
export const DEFAULT_SESSION_LOG_LINES = 2000;
/** Default of `SessionManagerOptions.maxLogBytes`. */
export const DEFAULT_SESSION_LOG_BYTES = 1024 * 1024;
/** Default of `SessionManagerOptions.maxLineLength`. */
export const DEFAULT_SESSION_LINE_LENGTH = 8192;
/** Default of `SessionManagerOptions.killGraceMs`. */
export const DEFAULT_SESSION_KILL_GRACE_MS = 5000;
/** Default of `SessionManagerOptions.quietMs`. */
export const DEFAULT_QUIET_MS = 1000;
/** Default of `SessionManagerOptions.maxInputBytes`. */
export const DEFAULT_MAX_INPUT_BYTES = 64 * 1024;

/** Options of the session manager. */
export interface SessionManagerOptions {
  /** Sessions this process holds; `create` beyond it is a ConflictError (409). @default 50 */
  maxSessions?: number;
  /** Output lines kept per session (ring buffer). @default 2000 */
  maxLogLines?: number;
  /** Output kept per session, in UTF-16 code units; the oldest lines go first. @default 1048576 */
  maxLogBytes?: number;
  /** Longest output line; longer ones are cut and marked. @default 8192 */
  maxLineLength?: number;
  /** Grace between SIGTERM and SIGKILL when a session is stopped. @default 5000 */
  killGraceMs?: number;
  /** A busy session without an idle rule is `idle` after this much silence. @default 1000 */
  quietMs?: number;
  /** Largest `input` text. @default 65536 */
  maxInputBytes?: number;
  /**
   * Variables of this process a session gets besides PATH, HOME, LANG, TZ, USER and SHELL
   * (`baseEnvironment` in src/exec; the service passes STATOR_STEP_ENV_PASSTHROUGH). @default []
   */
  envPassthrough?: string[];
}

/** Options after defaults and validation. */
export type ResolvedSessionManagerOptions = Required<SessionManagerOptions>;

const schema = z.strictObject({
  maxSessions: z.number().int().min(1).max(100_000).default(DEFAULT_MAX_SESSIONS),
  maxLogLines: z.number().int().min(1).max(1_000_000).default(DEFAULT_SESSION_LOG_LINES),
  maxLogBytes: z.number().int().min(1024).default(DEFAULT_SESSION_LOG_BYTES),
  maxLineLength: z.number().int().min(16).default(DEFAULT_SESSION_LINE_LENGTH),
  killGraceMs: z.number().int().min(0).max(600_000).default(DEFAULT_SESSION_KILL_GRACE_MS),
  quietMs: z.number().int().min(1).max(3_600_000).default(DEFAULT_QUIET_MS),
  maxInputBytes: z.number().int().min(1).default(DEFAULT_MAX_INPUT_BYTES),
  envPassthrough: z.array(z.string()).default([]),
});

/** Merges defaults and validates once; names the offending field on error. */
export function resolveSessionManagerOptions(
  input: SessionManagerOptions = {},
): ResolvedSessionManagerOptions {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const parsed = schema.safeParse(defined);
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return parsed.data;
}

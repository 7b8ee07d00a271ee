/**
 * Sessions: supervised long-lived processes (an agent CLI, a dev server, a REPL) as actors.
 *
 * Exports:
 * - `createSessionManager`, `LocalSessionManager`, `SessionManagerDeps`, `SessionInbound`: the
 *   SessionManager of one process (create, commands, list, next-actionable, restore, close) and
 *   its handler of `stator.session.<id>.in`.
 * - `resolveSessionManagerOptions`, `SessionManagerOptions`, `ResolvedSessionManagerOptions` and
 *   the `DEFAULT_*` constants: its options (maxSessions, ring buffer, kill grace, quiet time).
 * - `parseSessionDefinition`, `sessionJsonSchema`, `parseSessionPatch`, `SessionPatch`, `sessionNameSchema`,
 *   `sessionTagsSchema`, `sessionPreferencesSchema`, `TAG_PATTERN`, `MAX_TAGS`, `MAX_PREFERENCES`,
 *   `MAX_PREFERENCES_BYTES` and the definition defaults: the definition schema.
 * - `SESSION_STATUSES`: every status, in lifecycle order.
 * - `OutputBuffer`: the bounded output ring; `promptMatcher`, `stripEscapes`, `LatestOutput`:
 *   attention detection.
 * - Types of the contract (types.ts): `SessionManager`, `SessionView`, `SessionDefinition`,
 *   `SessionStatus`, `SessionActivity`, `RestartPolicy`, `AttentionRule`, `SessionLogLine`,
 *   `SessionQuery`, `SessionCloseOptions`.
 * @module
 */
export { createSessionManager, LocalSessionManager } from './session-manager.ts';
export type { SessionInbound, SessionManagerDeps } from './session-manager.ts';
export {
  DEFAULT_MAX_INPUT_BYTES,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_QUIET_MS,
  DEFAULT_SESSION_KILL_GRACE_MS,
  DEFAULT_SESSION_LINE_LENGTH,
  DEFAULT_SESSION_LOG_BYTES,
  DEFAULT_SESSION_LOG_LINES,
  resolveSessionManagerOptions,
} from './options.ts';
export type { ResolvedSessionManagerOptions, SessionManagerOptions } from './options.ts';
export {
  DEFAULT_BACKOFF_MAX_MS,
  DEFAULT_BACKOFF_MS,
  DEFAULT_MAX_RESTARTS,
  DEFAULT_RESTART_POLICY,
  DEFAULT_RESTART_WINDOW_MS,
  MAX_PREFERENCES,
  MAX_PREFERENCES_BYTES,
  MAX_TAGS,
  TAG_PATTERN,
  parseSessionDefinition,
  sessionJsonSchema,
  parseSessionPatch,
  sessionNameSchema,
  sessionPreferencesSchema,
  sessionTagsSchema,
} from './definition.ts';
export type { SessionPatch } from './definition.ts';
export { SESSION_STATUSES } from './session-list.ts';
export { OutputBuffer } from './output-buffer.ts';
export { LatestOutput, promptMatcher, stripEscapes } from './attention.ts';
export type {
  AttentionRule,
  RestartPolicy,
  SessionCloseOptions,
  SessionActivity,
  SessionDefinition,
  SessionLogLine,
  SessionManager,
  SessionQuery,
  SessionStatus,
  SessionView,
} from './types.ts';

/**
 * The closed error taxonomy of Stator. Every error that crosses a boundary (HTTP, NATS reply,
 * CLI) is a StatorError and is serialised by `toWire()`; the HTTP status comes from `httpStatus()`.
 * @module
 */

/** Stable machine-readable error codes. Never rename one: clients match on them. */
export type ErrorCode =
  | 'invalid_argument'
  | 'malformed_json'
  | 'malformed_yaml'
  | 'payload_too_large'
  | 'input_bounds'
  | 'invalid_workflow'
  | 'not_found'
  | 'conflict'
  | 'timeout'
  | 'cancelled'
  | 'non_retryable'
  | 'no_responders'
  | 'unauthorized'
  | 'forbidden'
  | 'rate_limited'
  | 'queue_full'
  | 'unavailable'
  | 'shutting_down'
  | 'secret_unavailable'
  | 'blocked'
  | 'internal';

/** The wire form of an error, identical on HTTP and NATS. */
export interface WireError {
  code: ErrorCode;
  message: string;
  details?: unknown;
  recoverable: boolean;
}

/** Base class: a code, whether retrying may help, structured details and the cause. */
export class StatorError extends Error {
  readonly code: ErrorCode;
  readonly recoverable: boolean;
  readonly details: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: unknown; recoverable?: boolean; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'StatorError';
    this.code = code;
    this.recoverable = opts.recoverable ?? false;
    this.details = opts.details;
  }
}

/** One field-level problem in an invalid argument. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** A command or input failed validation; `details.issues` names each field. */
export class InvalidArgumentError extends StatorError {
  constructor(message: string, details?: unknown, code: ErrorCode = 'invalid_argument') {
    super(code, message, { details });
    this.name = 'InvalidArgumentError';
  }

  /** Builds the error from field issues, with a message naming the first few fields. */
  static format(issues: FieldIssue[], code: ErrorCode = 'invalid_argument'): InvalidArgumentError {
    const head = issues
      .slice(0, 3)
      .map((i) => (i.path ? `${i.path}: ${i.message}` : i.message))
      .join('; ');
    const more = issues.length > 3 ? ` (+${issues.length - 3} more)` : '';
    return new InvalidArgumentError(`${head}${more}`, { issues }, code);
  }
}

/** A text format of bodies and payloads. */
export type PayloadFormat = 'json' | 'yaml';

/** A body or payload that does not parse: `malformed_json`, or `malformed_yaml` for YAML text. */
export class MalformedPayloadError extends InvalidArgumentError {
  constructor(
    message: string,
    cause?: unknown,
    readonly format: PayloadFormat = 'json',
  ) {
    super(message, undefined, format === 'yaml' ? 'malformed_yaml' : 'malformed_json');
    this.name = 'MalformedPayloadError';
    if (cause !== undefined) Object.defineProperty(this, 'cause', { value: cause });
  }
}

/** A body or payload larger than allowed; `details.limitBytes` is the limit. */
export class PayloadTooLargeError extends StatorError {
  constructor(limitBytes: number, what = 'request body') {
    super('payload_too_large', `${what} exceeds ${limitBytes} bytes`, {
      details: { limitBytes },
    });
    this.name = 'PayloadTooLargeError';
  }
}

/** The bounds of parsed input (src/parse/bounds.ts) that a refusal names. */
export type InputBound = 'depth' | 'aliases' | 'entries' | 'string_length' | 'header_bytes';

/**
 * A body, payload or header past one of the input bounds (nesting depth, YAML aliases, keys
 * and items, string length, header bytes): `input_bounds`, `details: {bound, limit}`.
 */
export class InputBoundsError extends StatorError {
  constructor(
    readonly bound: InputBound,
    limit: number,
    message: string,
  ) {
    super('input_bounds', message, { details: { bound, limit } });
    this.name = 'InputBoundsError';
  }
}

/** A workflow definition that fails the schema or the DAG checks (cycles, unknown needs). */
export class InvalidWorkflowError extends InvalidArgumentError {
  constructor(message: string, details?: unknown) {
    super(message, details, 'invalid_workflow');
    this.name = 'InvalidWorkflowError';
  }

  /** Builds the error from field issues. */
  static override format(issues: FieldIssue[]): InvalidWorkflowError {
    const base = InvalidArgumentError.format(issues);
    return new InvalidWorkflowError(base.message, { issues });
  }
}

/** The addressed thing does not exist. */
export class NotFoundError extends StatorError {
  constructor(kind: string, id: string) {
    super('not_found', `${kind} '${id}' not found`, { details: { kind, id } });
    this.name = 'NotFoundError';
  }
}

/** The request conflicts with the current state (e.g. cancelling a finished run). */
export class ConflictError extends StatorError {
  constructor(message: string, details?: unknown) {
    super('conflict', message, { details });
    this.name = 'ConflictError';
  }
}

/** Something took longer than allowed; retrying may succeed. */
export class TimeoutError extends StatorError {
  constructor(message: string, details?: unknown) {
    super('timeout', message, { details, recoverable: true });
    this.name = 'TimeoutError';
  }
}

/** The operation was cancelled on request. */
export class CancelledError extends StatorError {
  constructor(message = 'cancelled', details?: unknown) {
    super('cancelled', message, { details });
    this.name = 'CancelledError';
  }
}

/** A failure that retry policies must not retry. */
export class NonRetryableError extends StatorError {
  constructor(message: string, details?: unknown) {
    super('non_retryable', message, { details });
    this.name = 'NonRetryableError';
  }
}

/** A request on a subject nobody listens to. */
export class NoRespondersError extends StatorError {
  constructor(subject: string) {
    super('no_responders', `no responders on '${subject}'`, {
      details: { subject },
      recoverable: true,
    });
    this.name = 'NoRespondersError';
  }
}

/** Missing or wrong credentials; `details.reason` may say which check failed (webhooks). */
export class UnauthorizedError extends StatorError {
  constructor(message = 'missing or invalid API token', details?: unknown) {
    super('unauthorized', message, { details });
    this.name = 'UnauthorizedError';
  }
}

/** The caller is known but may not do this (e.g. approve a step it is not an approver of). */
export class ForbiddenError extends StatorError {
  constructor(message: string, details?: unknown) {
    super('forbidden', message, { details });
    this.name = 'ForbiddenError';
  }
}

/** Too many commands; `details.retryAfterMs` says when to come back. */
export class RateLimitedError extends StatorError {
  constructor(retryAfterMs: number) {
    super('rate_limited', `rate limited; retry after ${retryAfterMs} ms`, {
      details: { retryAfterMs },
      recoverable: true,
    });
    this.name = 'RateLimitedError';
  }
}

/** Which bound refused an execution: the node's queue, or the workflow's own. */
export type QueueFullScope = 'node' | 'workflow';

/**
 * Too many executions wait for a slot (the node's `queueLimit`, or the workflow's
 * `maxQueuedExecutions`): the run was not created. HTTP 429 with `Retry-After`;
 * `details.retryAfterMs` says when to come back.
 */
export class QueueFullError extends StatorError {
  constructor(details: {
    scope: QueueFullScope;
    limit: number;
    retryAfterMs: number;
    workflowId?: string;
  }) {
    const what =
      details.scope === 'node'
        ? `${details.limit} executions already wait on this node`
        : `${details.limit} executions of workflow '${details.workflowId}' already wait`;
    super('queue_full', `queue full: ${what}; retry after ${details.retryAfterMs} ms`, {
      details,
      recoverable: true,
    });
    this.name = 'QueueFullError';
  }
}

/** A dependency (bus, store) is unavailable or the service is closing. */
export class UnavailableError extends StatorError {
  constructor(message: string, cause?: unknown) {
    super('unavailable', message, { recoverable: true, cause });
    this.name = 'UnavailableError';
  }
}

/**
 * The service is shutting down and takes no new work; `details.retryAfterMs` says when to try
 * again (another process, or this one restarted). HTTP 503 with `Retry-After`.
 */
export class ShuttingDownError extends StatorError {
  constructor(retryAfterMs: number, message = 'stator is shutting down') {
    super('shutting_down', message, { details: { retryAfterMs }, recoverable: true });
    this.name = 'ShuttingDownError';
  }
}

/** One secret a run could not resolve: the variable or file it names, and why. */
export interface UnavailableSecret {
  name: string;
  env?: string;
  file?: string;
  reason: string;
}

/**
 * A secret of a workflow or session could not be resolved (unset or empty variable, unreadable
 * file): the run fails before any step starts, the session's launch before any process exists.
 * `details.secrets` names each variable or file, never a value.
 */
export class SecretUnavailableError extends StatorError {
  constructor(readonly secrets: UnavailableSecret[]) {
    const head = secrets
      .slice(0, 3)
      .map((s) => `secret ${s.name}: ${s.reason}`)
      .join('; ');
    const more = secrets.length > 3 ? ` (+${secrets.length - 3} more)` : '';
    super('secret_unavailable', `${head}${more}`, { details: { secrets } });
    this.name = 'SecretUnavailableError';
  }
}

/**
 * A policy refused a run at execute time (src/plans): the run is recorded with status
 * `blocked` and this error, `details: {reasons, findings}`.
 */
export class BlockedError extends StatorError {
  constructor(reasons: readonly string[], findings: readonly unknown[]) {
    const head = reasons.slice(0, 3).join('; ');
    const more = reasons.length > 3 ? ` (+${reasons.length - 3} more)` : '';
    super('blocked', `blocked by policy: ${head}${more}`, {
      details: { reasons: [...reasons], findings: [...findings] },
    });
    this.name = 'BlockedError';
  }
}

/** Wraps anything into a StatorError; unknown errors become `internal` without leaking stacks. */
export function toStatorError(err: unknown): StatorError {
  if (err instanceof StatorError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new StatorError('internal', message || 'internal error', { cause: err });
}

/** Characters of an error message sent at most. */
export const MAX_WIRE_MESSAGE = 2000;
/** Serialised size of an error's details sent whole at most; larger ones have long texts cut. */
const MAX_WIRE_DETAILS = 64 * 1024;
/** Characters of one text inside large details. */
const MAX_DETAIL_TEXT = 500;

/**
 * The one serialiser of errors for HTTP bodies, NATS replies and events. Bounded: an error may
 * quote what it refuses (an unknown key of half a megabyte, quoted in the message and in every
 * issue), and a NATS reply larger than the server's max_payload is never delivered, so the
 * asker would wait for nothing. Long messages and the long texts of large details are cut.
 */
export function toWire(err: unknown): WireError {
  const e = toStatorError(err);
  const wire: WireError = {
    code: e.code,
    message: cutText(e.message, MAX_WIRE_MESSAGE),
    recoverable: e.recoverable,
  };
  if (e.details !== undefined) wire.details = boundedDetails(e.details);
  return wire;
}

function cutText(text: string, max: number): string {
  return text.length <= max
    ? text
    : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

function boundedDetails(details: unknown): unknown {
  let size: number;
  try {
    size = JSON.stringify(details)?.length ?? 0;
  } catch {
    return undefined; // not serialisable (a cycle): nothing a client could read anyway
  }
  return size <= MAX_WIRE_DETAILS ? details : cutTexts(details, 0);
}

/** A copy with long strings cut, long lists shortened and deep nesting dropped. */
function cutTexts(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return cutText(value, MAX_DETAIL_TEXT);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 8) return '…';
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => cutTexts(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value).slice(0, 100)) {
    out[cutText(k, MAX_DETAIL_TEXT)] = cutTexts(v, depth + 1);
  }
  return out;
}

const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_argument: 422,
  malformed_json: 400,
  malformed_yaml: 400,
  payload_too_large: 413,
  input_bounds: 400,
  invalid_workflow: 422,
  not_found: 404,
  conflict: 409,
  timeout: 504,
  cancelled: 409,
  non_retryable: 422,
  no_responders: 503,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  queue_full: 429,
  unavailable: 503,
  shutting_down: 503,
  secret_unavailable: 503,
  blocked: 403,
  internal: 500,
};

/** Every error code (for API descriptions such as the OpenAPI document). */
export const ERROR_CODES = Object.keys(HTTP_STATUS) as ErrorCode[];

/** The HTTP status that fits an error code. */
export function httpStatus(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

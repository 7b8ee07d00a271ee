/**
 * Zod building blocks shared by the command inputs: ids, paging fields coerced from query
 * strings, execution statuses and the event filter of subscriptions.
 * @module
 */
import { z } from 'zod';
import { ACTOR_KINDS } from '../bus/index.ts';
import type { ExecutionStatus } from '../store/index.ts';
import type { Severity } from '../events.ts';
// eslint-disable-next-line no-restricted-imports -- cycle: runtime/index.ts imports this module
import type { EventFilter } from '../runtime/types.ts';
import { InvalidArgumentError, type FieldIssue } from '../errors.ts';
import { formatIssuePath } from '../workflow/index.ts';

/** Every execution status, in lifecycle order. */
export const EXECUTION_STATUSES = [
  'pending',
  'running',
  'awaiting_approval',
  'rolling_back',
  'completed',
  'failed',
  'cancelled',
  'timed_out',
  'blocked',
] as const satisfies readonly ExecutionStatus[];

/** Every severity, lowest first. */
export const SEVERITIES = [
  'info',
  'warning',
  'error',
  'critical',
] as const satisfies readonly Severity[];

/** Upper bound of a page. */
export const MAX_PAGE_LIMIT = 500;

/** Query strings carry empty values (`?cursor=`); treat them as absent. */
const emptyAsUndefined = (v: unknown): unknown => (v === '' || v === null ? undefined : v);

/** An id of a workflow, execution, step or machine. */
export const idSchema = z.string().trim().min(1, 'must not be empty').max(256);

/** Longest `idempotencyKey` (the `Idempotency-Key` header of execute). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

/** An idempotency key: 1-255 printable ASCII characters, no spaces (a header value as is). */
export const idempotencyKeySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_IDEMPOTENCY_KEY_LENGTH, `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

/**
 * A run's priority in the work queue: 1 (highest) to 5 (lowest); engines take higher priorities
 * first, FIFO within one (src/runtime/work-queue/priority.ts holds the default, 3).
 */
export const prioritySchema = z
  .number({ error: 'must be an integer from 1 (highest) to 5 (lowest)' })
  .int('must be an integer from 1 (highest) to 5 (lowest)')
  .min(1, 'must be an integer from 1 (highest) to 5 (lowest)')
  .max(5, 'must be an integer from 1 (highest) to 5 (lowest)');

/** An optional string that may come from a query string. */
export const optionalString = z.preprocess(
  emptyAsUndefined,
  z.string().min(1).max(1024).optional(),
);

/** Page size, coerced from a query string. */
export const limitSchema = z.preprocess(
  emptyAsUndefined,
  z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).optional(),
);

/** Opaque page cursor. */
export const cursorSchema = optionalString;

/** An optional execution status filter. */
export const statusSchema = z.preprocess(emptyAsUndefined, z.enum(EXECUTION_STATUSES).optional());

/** Filter of an event subscription (SSE query, WebSocket subscribe). */
export const eventFilterSchema = z.object({
  executionId: optionalString,
  workflowId: optionalString,
  kind: z.preprocess(emptyAsUndefined, z.enum(ACTOR_KINDS).optional()),
  id: optionalString,
  type: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .regex(/^[a-z_]+(\.[a-z_]*)?$/, "must be an event type such as 'step.completed' or 'step.'")
      .optional(),
  ),
  severity: z.preprocess(emptyAsUndefined, z.enum(SEVERITIES).optional()),
});

/** Converts zod issues into field issues (`steps[0].id: message`). */
export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({ path: formatIssuePath(i.path), message: i.message }));
}

/** Parses a payload with a schema or throws InvalidArgumentError naming each field. */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw InvalidArgumentError.format(fieldIssues(parsed.error));
  return parsed.data;
}

/** Validates an event filter (from a query string or a message) into an EventFilter. */
export function parseEventFilter(raw: unknown): EventFilter {
  const data = parseInput(eventFilterSchema, raw ?? {});
  const filter: EventFilter = {};
  for (const [key, value] of Object.entries(data)) {
    if (value !== undefined) (filter as Record<string, unknown>)[key] = value;
  }
  return filter;
}

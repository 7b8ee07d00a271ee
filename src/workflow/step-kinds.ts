/**
 * The call step kinds, steps without a process: `http` (one HTTP request), `nats` (a request or
 * a publish on a NATS subject) and `workflow` (a child run of another workflow). Their zod
 * schemas as written and their resolved shapes. Their string fields (url, header values, string
 * bodies and payloads, every string in a JSON body, payload or child input) may use the
 * `${{ ... }}` templates of exec argv items, rendered one field at a time, never through a shell.
 * @module
 */
import { z } from 'zod';
import { positiveDurationSchema } from './duration.ts';

/** HTTP methods an `http` step may use. */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
/** An HTTP method. */
export type HttpMethod = (typeof HTTP_METHODS)[number];
/** Redirects an `http` step follows when it sets no `maxRedirects`. */
export const DEFAULT_MAX_REDIRECTS = 5;
/** Upper bound of `maxRedirects`. */
export const MAX_REDIRECTS = 20;
/** Wait for a reply of a `nats` request when the step sets no `timeout`, ms. */
export const DEFAULT_NATS_TIMEOUT_MS = 5000;
/** Statuses an `http` step accepts when it sets no `expect`: 2xx. */
export const DEFAULT_EXPECTED_STATUS: ReadonlyArray<readonly [number, number]> = [[200, 299]];

/** A JSON value (bodies, payloads and child inputs as written). */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A resolved `http` call. */
export interface HttpCall {
  /** @default "GET" */
  method: HttpMethod;
  /** http:// or https:// URL; may hold templates. */
  url: string;
  /** Header values may hold templates. */
  headers: Record<string, string>;
  /** A string is sent as is; any other JSON value as JSON (`content-type: application/json`). */
  body?: JsonValue;
  /** Wait for the whole reply, ms (the step's `timeout` bounds every attempt as well). */
  timeoutMs?: number;
  /** Accepted statuses as inclusive ranges. @default [[200, 299]] */
  expect: Array<[number, number]>;
  /** @default 5 */
  maxRedirects: number;
}

/** A resolved `nats` call. */
export interface NatsCall {
  /** The subject; may hold templates (a valid subject once rendered, no wildcards). */
  subject: string;
  /** A string is sent as is, any other JSON value as JSON; absent: an empty message. */
  payload?: JsonValue;
  /** Request/reply (the reply is the step's outputs) or a plain publish. @default true */
  request: boolean;
  /** Wait for the reply, ms. @default 5000 */
  timeoutMs: number;
}

/** A resolved `workflow` call. */
export interface ChildWorkflowCall {
  /** The id of the workflow the child runs (looked up when the step runs). */
  name: string;
  /** The child's input; strings may hold templates. @default {} */
  inputs: Record<string, JsonValue>;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const noNul = (s: string) => !s.includes('\0');
const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number().refine(Number.isFinite, 'numbers must be finite'),
    z.boolean(),
    z.null(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);

/** A URL is checked as written when it holds no template, by its scheme when it does. */
function urlIssue(url: string): string | undefined {
  if (!/^https?:\/\//i.test(url)) return 'url must start with http:// or https://';
  if (url.includes('${{')) return undefined;
  try {
    new URL(url);
    return undefined;
  } catch {
    return `'${url}' is not a valid URL`;
  }
}

const statusSchema = z.union([
  z.number().int().min(100).max(599),
  z
    .string()
    .regex(
      /^([1-5]xx|[1-5]\d\d(-[1-5]\d\d)?)$/,
      "a status is a number, a class such as '2xx' or a range such as '200-299'",
    ),
]);

/** `expect` as inclusive ranges. */
function statusRanges(v: z.output<typeof statusSchema>[]): Array<[number, number]> {
  return v.map((s) => {
    if (typeof s === 'number') return [s, s];
    if (s.endsWith('xx')) return [Number(s[0]) * 100, Number(s[0]) * 100 + 99];
    const [lo, hi] = s.split('-').map(Number) as [number, number | undefined];
    return [lo, hi ?? lo];
  });
}

/** The `http` field of a step. */
export const httpCallSchema = z
  .strictObject({
    method: z
      .string()
      .transform((m) => m.toUpperCase())
      .pipe(z.enum(HTTP_METHODS, { error: `method must be one of ${HTTP_METHODS.join(', ')}` }))
      .optional()
      .describe('HTTP method. Default GET.'),
    url: z
      .string()
      .max(8192)
      .superRefine((url, ctx) => {
        const issue = urlIssue(url);
        if (issue) ctx.addIssue({ code: 'custom', message: issue });
      })
      .describe('http:// or https:// URL; may use ${{ inputs.x }}, ${{ steps.a.outputs.k }}.'),
    headers: z
      .record(z.string(), z.string().max(16_384).refine(noNul, 'must not contain NUL'))
      .superRefine((headers, ctx) => {
        for (const name of Object.keys(headers)) {
          if (!HEADER_NAME.test(name)) {
            ctx.addIssue({ code: 'custom', path: [name], message: 'header names are HTTP tokens' });
          }
        }
      })
      .optional()
      .describe('Request headers; values may use templates (secrets through ${{ env.NAME }}).'),
    body: jsonValue
      .optional()
      .describe('A string is sent as is; any other JSON value as JSON. Strings may use templates.'),
    timeout: positiveDurationSchema
      .optional()
      .describe('Wait for the whole reply. The step timeout bounds every attempt as well.'),
    expect: z
      .union([statusSchema, z.array(statusSchema).min(1)])
      .optional()
      .describe("Accepted statuses: a number, '2xx', '200-299', or a list of them. Default 2xx."),
    maxRedirects: z
      .number()
      .int()
      .min(0)
      .max(MAX_REDIRECTS)
      .optional()
      .describe(`Redirects followed. Default ${DEFAULT_MAX_REDIRECTS}.`),
  })
  .superRefine((h, ctx) => {
    if (
      h.body !== undefined &&
      (h.method === undefined || h.method === 'GET' || h.method === 'HEAD')
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['body'],
        message: `a ${h.method ?? 'GET'} request has no body (set method: POST, PUT or PATCH)`,
      });
    }
  })
  .transform((h): HttpCall => ({
    method: h.method ?? 'GET',
    url: h.url,
    headers: h.headers ?? {},
    ...(h.body !== undefined && { body: h.body }),
    ...(h.timeout !== undefined && { timeoutMs: h.timeout }),
    expect:
      h.expect === undefined
        ? DEFAULT_EXPECTED_STATUS.map(([lo, hi]) => [lo, hi])
        : statusRanges(Array.isArray(h.expect) ? h.expect : [h.expect]),
    maxRedirects: h.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
  }))
  .describe('One HTTP request; the JSON reply becomes the step outputs.');

/** The `nats` field of a step. */
export const natsCallSchema = z
  .strictObject({
    subject: z
      .string()
      .min(1)
      .max(1024)
      .refine(
        (s) => s.includes('${{') || /^[^\s.*>]+(\.[^\s.*>]+)*$/.test(s),
        'subject must be dot-separated tokens without spaces or wildcards',
      )
      .describe('Subject to send on; may use templates.'),
    payload: jsonValue
      .optional()
      .describe('A string is sent as is; any other JSON value as JSON. Strings may use templates.'),
    request: z
      .boolean()
      .optional()
      .describe('true (default): wait for a reply, its JSON is the step outputs; false: publish.'),
    timeout: positiveDurationSchema.optional().describe('Wait for the reply. Default 5s.'),
  })
  .transform((n): NatsCall => ({
    subject: n.subject,
    ...(n.payload !== undefined && { payload: n.payload }),
    request: n.request ?? true,
    timeoutMs: n.timeout ?? DEFAULT_NATS_TIMEOUT_MS,
  }))
  .describe('A NATS request (the reply is the step outputs) or publish; needs a NATS connection.');

/** The `workflow` field of a step. */
export const workflowCallSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/, 'name must be a workflow id')
      .describe('Id of the workflow the child run runs (must be registered when the step runs).'),
    inputs: z
      .record(z.string(), jsonValue)
      .optional()
      .describe("The child's input; strings may use templates."),
  })
  .transform((w): ChildWorkflowCall => ({ name: w.name, inputs: w.inputs ?? {} }))
  .describe("A child run; the step ends as it ends, with the child's outputs.");

/** A resolved `approval` gate. */
export interface ApprovalGate {
  /** What the person is asked; may hold templates. */
  message: string;
  /** Names allowed to decide; absent: anyone. */
  approvers?: string[];
  /** A missing decision rejects the step after this long, ms. */
  timeoutMs: number;
}

/** Longest approval message, characters. */
export const MAX_APPROVAL_MESSAGE = 4096;
/** Longest approver name (and `by` of a decision), characters. */
export const MAX_APPROVER_NAME = 128;

/** An approver's name (also the `by` of a decision). */
export const approverNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(MAX_APPROVER_NAME)
  .refine(
    (s) => ![...s].some((c) => c.charCodeAt(0) < 0x20),
    'must not contain control characters',
  );

/** The `approval` field of a step. */
export const approvalGateSchema = z
  .strictObject({
    message: z
      .string()
      .min(1)
      .max(MAX_APPROVAL_MESSAGE)
      .describe('What the person is asked; may use templates such as ${{ inputs.x }}.'),
    approvers: z
      .array(approverNameSchema)
      .min(1)
      .max(100)
      .optional()
      .describe('Names allowed to decide (the `by` of a decision); absent: anyone.'),
    timeout: positiveDurationSchema.describe(
      "A missing decision rejects the step after this long (the decision's by is 'timeout').",
    ),
  })
  .transform((a): ApprovalGate => ({
    message: a.message,
    ...(a.approvers !== undefined && { approvers: [...new Set(a.approvers)] }),
    timeoutMs: a.timeout,
  }))
  .describe(
    'Waits for a person: the run is awaiting_approval until approved or rejected (POST /api/executions/:id/approve | reject); a rejection or the timeout fails the step.',
  );

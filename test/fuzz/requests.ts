/**
 * Generators of HTTP requests across every route of src/http/*-routes.ts: the route's method or
 * another, path parameters that name real things or junk (unicode, percent signs, dot
 * segments, long), random query strings, random and meaningful headers, and a body from
 * bodies.ts with a content type right or wrong.
 * @module
 */
import fc from 'fast-check';
import { bodyArb, contentTypeArb, type Body } from './bodies.ts';

/** One generated request. */
export interface RequestSpec {
  method: string;
  /** Path and query, starting with `/`. */
  path: string;
  headers: Record<string, string>;
  body?: Body;
}

/** What the suite registered, so parameters can name real things. */
export interface KnownIds {
  workflows: readonly string[];
  hooks: readonly string[];
  executions: readonly string[];
  triggers: readonly string[];
}

/** Every route as `METHOD path`; `:x` are parameters. */
export const ROUTES: readonly (readonly [string, string])[] = [
  ['GET', '/health'],
  ['GET', '/metrics'],
  ['POST', '/api/workflows'],
  ['GET', '/api/workflows'],
  ['GET', '/api/workflows/:workflow'],
  ['DELETE', '/api/workflows/:junk'],
  ['POST', '/api/workflows/:workflow/execute'],
  ['GET', '/api/executions'],
  ['GET', '/api/executions/:execution'],
  ['GET', '/api/executions/:execution/logs'],
  ['POST', '/api/executions/:execution/cancel'],
  ['GET', '/api/events'],
  ['GET', '/api/machines'],
  ['GET', '/api/machines/:machine'],
  ['GET', '/api/triggers'],
  ['GET', '/api/triggers/:trigger'],
  ['POST', '/api/triggers/:trigger/pause'],
  ['POST', '/api/triggers/:trigger/resume'],
  ['POST', '/api/triggers/:trigger/fire'],
  ['POST', '/api/sessions'],
  ['GET', '/api/sessions'],
  ['GET', '/api/sessions/next-actionable'],
  ['GET', '/api/sessions/:session'],
  ['PATCH', '/api/sessions/:session'],
  ['DELETE', '/api/sessions/:session'],
  ['POST', '/api/sessions/:session/start'],
  ['POST', '/api/sessions/:session/stop'],
  ['POST', '/api/sessions/:session/restart'],
  ['POST', '/api/sessions/:session/input'],
  ['PUT', '/api/sessions/:session/preferences/:junk'],
  ['DELETE', '/api/sessions/:session/preferences/:junk'],
  ['GET', '/api/sessions/:session/health'],
  ['GET', '/api/sessions/:session/logs'],
  ['GET', '/api/statistics'],
  ['POST', '/hooks/:hook'],
  ['GET', '/ws'],
  ['GET', '/:junk'],
];

const BODY = new Set(['POST', 'PUT', 'PATCH']);
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'FUZZ'];
const QUERY_KEYS = [
  'limit',
  'cursor',
  'workflowId',
  'status',
  'format',
  'since',
  'follow',
  'window',
  'stepId',
  'lastEventId',
  'token',
  'kind',
  'type',
  'severity',
  'tag',
];
const HEADER_NAMES = [
  'authorization',
  'last-event-id',
  'idempotency-key',
  'x-stator-signature',
  'x-stator-timestamp',
  'accept',
  'content-length',
  'x-forwarded-for',
];

/** Junk for a path segment or query value, already encoded as a URL would carry it. */
const junk = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }).map(encodeURIComponent),
  fc.constantFrom('%', '%zz', '%E0%A4%A', '..', '.', '%2e%2e', '%00', 'a%2Fb', '~', '*', '-', ''),
  fc.integer({ min: 200, max: 3000 }).map((n) => 'x'.repeat(n)),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
);

function segment(kind: string, known: KnownIds): fc.Arbitrary<string> {
  const real: Record<string, readonly string[]> = {
    workflow: known.workflows,
    execution: known.executions,
    hook: known.hooks,
    trigger: known.triggers,
    machine: ['step', 'execution', 'engine', 'trigger', 'session', 'monitor'],
  };
  const names = real[kind] ?? [];
  return names.length === 0 ? junk : fc.oneof(fc.constantFrom(...names), junk);
}

function pathArb(template: string, known: KnownIds): fc.Arbitrary<string> {
  const parts = template
    .split('/')
    .map((p) => (p.startsWith(':') ? segment(p.slice(1), known) : fc.constant(p)));
  return fc.tuple(...parts).map((segments) => segments.join('/'));
}

const queryArb = fc
  .array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), junk), junk), { maxLength: 4 })
  .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));

/** Header values a Request accepts: visible ASCII and spaces, no CR or LF. */
const headerValue = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, '').trim()),
  fc.constantFrom('Bearer x', 'sha256=00', '1', '-1', '99999999999', 'websocket', ''),
);
const headerName = fc.oneof(
  fc.constantFrom(...HEADER_NAMES),
  fc.stringMatching(/^x-[a-z0-9-]{1,20}$/),
);
const headersArb = fc.dictionary(headerName, headerValue, { maxKeys: 4 });

/** A request to one of ROUTES (or a junk one) with a generated body and headers. */
export function requestArb(known: KnownIds): fc.Arbitrary<RequestSpec> {
  return fc
    .record({
      // Routes that read a body get most requests: they are where the parsers run.
      route: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...ROUTES.filter(([m]) => BODY.has(m))) },
        { weight: 2, arbitrary: fc.constantFrom(...ROUTES) },
      ),
      // One request in five with another method than the route's.
      otherMethod: fc.oneof(
        { weight: 4, arbitrary: fc.constant(null) },
        { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
      ),
      query: queryArb,
      headers: headersArb,
      contentType: contentTypeArb,
      body: bodyArb,
    })
    .chain((r) =>
      pathArb(r.route[1], known).map((path): RequestSpec => {
        const method = r.otherMethod ?? r.route[0];
        const headers = { ...r.headers };
        if (r.contentType !== undefined) headers['content-type'] = r.contentType;
        const spec: RequestSpec = { method, path: path + r.query, headers };
        if (method !== 'GET' && method !== 'HEAD') spec.body = r.body;
        return spec;
      }),
    );
}

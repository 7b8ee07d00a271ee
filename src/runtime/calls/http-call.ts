/**
 * One attempt of an `http` step: the request (its fields already rendered), redirects followed
 * by hand up to the step's bound (a redirect to another origin drops `authorization` and
 * `cookie`), the reply read up to MAX_OUTPUT_BYTES (a longer one is refused, unread), its status
 * checked against `expect`. A JSON object reply is the step's outputs; any other reply is
 * `outputs.body` (parsed JSON or text). The attempt's signal (stopped by the step's timeout or
 * a cancel) and the request's own `timeout` abort the request.
 *
 * With `breakers`, the URL's origin has a circuit breaker (circuit-breaker.ts): while it is
 * open the attempt fails fast (retryable: a later retry, after the cool-down, is the trial) and
 * no request is sent; a connection error, a timeout or a 5xx counts as a failure of the host.
 * @module
 */
import type { AttemptResult } from '../../../machines/step.machine.ts';
import { MAX_OUTPUT_BYTES, type HttpCall } from '../../workflow/index.ts';
import { replyOutputs } from './reply-outputs.ts';
import type { CallHealth, CircuitBreakers, CircuitChange } from './circuit-breaker.ts';

/** What an http attempt is given besides its call. */
export interface HttpCallContext {
  signal: AbortSignal;
  /** Writes one line to the step's log (masked by the caller). */
  log(line: string): void;
  /** Per-host breakers (absent: none). */
  breakers?: CircuitBreakers;
  /** Reports a breaker that opened or closed (an event of the run whose call changed it). */
  onCircuit?(change: CircuitChange): void;
}

/** The `circuit_open` error text of a call refused by its host's open breaker. */
export function circuitOpenError(host: string, failures: number, until: number): string {
  return `circuit_open: http: ${host} failed ${failures} times in a row; calls to it fail fast until ${new Date(until).toISOString()}`;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const CREDENTIALS = ['authorization', 'cookie', 'proxy-authorization'];
const BODY_EXCERPT = 512;

/** Sends the request (unless its host's breaker is open) and turns its reply into a result. */
export async function runHttpCall(call: HttpCall, ctx: HttpCallContext): Promise<AttemptResult> {
  // Templates may have made the URL invalid (an input with spaces, say): the same every time.
  if (!URL.canParse(call.url) || !/^https?:$/.test(new URL(call.url).protocol)) {
    return fail(`http: '${call.url}' is not an http(s) URL`, true);
  }
  const { breakers } = ctx;
  if (breakers === undefined) return (await send(call, ctx)).result;
  const host = new URL(call.url).origin;
  const admission = breakers.admit(host);
  if (!admission.allowed) {
    const error = circuitOpenError(host, admission.failures, admission.until);
    ctx.log(error);
    return fail(error);
  }
  if (admission.trial) ctx.log(`http: ${host} is half-open: this call is the trial`);
  const { result, health } = await send(call, ctx);
  const change = breakers.record(host, admission, health);
  if (change) {
    ctx.log(
      change.type === 'opened'
        ? `http: circuit opened for ${host} after ${change.failures} failures in a row`
        : `http: circuit closed for ${host}`,
    );
    ctx.onCircuit?.(change);
  }
  return result;
}

async function send(
  call: HttpCall,
  ctx: HttpCallContext,
): Promise<{ result: AttemptResult; health: CallHealth }> {
  let status: number | undefined;
  const result = await request(call, ctx, (s) => (status = s));
  if (ctx.signal.aborted) return { result, health: 'none' };
  if (status === undefined) return { result, health: result.nonRetryable ? 'none' : 'down' };
  return { result, health: status >= 500 ? 'down' : 'up' };
}

async function request(
  call: HttpCall,
  ctx: HttpCallContext,
  replied: (status: number) => void,
): Promise<AttemptResult> {
  const timeout = call.timeoutMs === undefined ? undefined : AbortSignal.timeout(call.timeoutMs);
  const signal = timeout ? AbortSignal.any([ctx.signal, timeout]) : ctx.signal;
  const started = performance.now();
  let method: string = call.method;
  let url = call.url;
  let headers = new Headers(call.headers);
  let body = requestBody(call, headers);
  try {
    for (let redirects = 0; ; redirects++) {
      ctx.log(`http: ${method} ${url}`);
      const res = await fetch(url, { method, headers, body, redirect: 'manual', signal });
      replied(res.status);
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || location === null) {
        return await settle(call, res, method, url, ctx, started);
      }
      await res.body?.cancel();
      if (redirects >= call.maxRedirects) {
        return fail(`http: more than ${call.maxRedirects} redirects (last to ${location})`);
      }
      const next = new URL(location, url);
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        return fail(`http: redirect to a ${next.protocol} URL refused`, true);
      }
      ctx.log(`http: ${res.status} redirect to ${next.href}`);
      if (next.origin !== new URL(url).origin) {
        headers = new Headers(headers);
        for (const h of CREDENTIALS) headers.delete(h);
      }
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === 'POST')) {
        method = method === 'HEAD' ? 'HEAD' : 'GET';
        body = undefined;
        headers.delete('content-type');
      }
      url = next.href;
    }
  } catch (err) {
    if (ctx.signal.aborted) return { ok: false, exitCode: null, error: 'cancelled' };
    if (timeout?.aborted) return fail(`http: no complete reply within ${call.timeoutMs} ms`);
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    return fail(`http: ${method} ${url} failed: ${cause ?? (err as Error).message}`);
  }
}

function requestBody(call: HttpCall, headers: Headers): string | undefined {
  if (call.body === undefined) return undefined;
  if (typeof call.body === 'string') return call.body;
  if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  return JSON.stringify(call.body);
}

async function settle(
  call: HttpCall,
  res: Response,
  method: string,
  url: string,
  ctx: HttpCallContext,
  started: number,
): Promise<AttemptResult> {
  const text = await readBounded(res);
  const ms = Math.round(performance.now() - started);
  if (text === undefined) {
    ctx.log(
      `http: ${res.status} ${res.statusText} (${ms} ms), reply over ${MAX_OUTPUT_BYTES} bytes`,
    );
    return fail(`http: the reply is over ${MAX_OUTPUT_BYTES} bytes, the most kept per step`, true);
  }
  ctx.log(`http: ${res.status} ${res.statusText} (${ms} ms, ${Buffer.byteLength(text)} bytes)`);
  if (!call.expect.some(([lo, hi]) => res.status >= lo && res.status <= hi)) {
    if (text !== '') ctx.log(`http: reply: ${text.slice(0, BODY_EXCERPT)}`);
    const expected = call.expect.map(([lo, hi]) => (lo === hi ? lo : `${lo}-${hi}`)).join(', ');
    return fail(`http: ${method} ${url} answered ${res.status} (expected ${expected})`);
  }
  const outputs = replyOutputs(text, res.headers.get('content-type'));
  if (!outputs.ok) return fail(`http: ${outputs.error}`, true);
  return { ok: true, exitCode: null, ...(outputs.outputs && { outputs: outputs.outputs }) };
}

/** The reply as text, or undefined when it is longer than MAX_OUTPUT_BYTES (not read further). */
async function readBounded(res: Response): Promise<string | undefined> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_OUTPUT_BYTES) {
    await res.body?.cancel();
    return undefined;
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > MAX_OUTPUT_BYTES) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function fail(error: string, nonRetryable = false): AttemptResult {
  return { ok: false, exitCode: null, error, ...(nonRetryable && { nonRetryable }) };
}

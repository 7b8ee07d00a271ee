/**
 * One attempt of a `nats` step on the service's own NATS connection (cluster mode): a request
 * whose reply becomes the step's outputs (see reply-outputs.ts), or a publish that succeeds once
 * the server has the message (a flush). Subjects are the user's own: they are not put under
 * Stator's subject prefix. "No responders" fails the attempt at once with that reason (it is
 * retried like any failure if the step has a retry policy: a responder may come up).
 * @module
 */
import { errors as natsErrors, type NatsConnection } from '@nats-io/transport-node';
import type { AttemptResult } from '../../../machines/step.machine.ts';
import { MAX_OUTPUT_BYTES, type NatsCall } from '../../workflow/index.ts';
import { replyOutputs } from './reply-outputs.ts';

/** What a nats attempt is given besides its call. */
export interface NatsCallContext {
  connection: NatsConnection;
  signal: AbortSignal;
  /** Writes one line to the step's log (masked by the caller). */
  log(line: string): void;
}

const INVALID_SUBJECT = /(^|\.)(\.|$)|[\s*>]/;

/** Sends the request or publish and turns the outcome into an attempt result. */
export async function runNatsCall(call: NatsCall, ctx: NatsCallContext): Promise<AttemptResult> {
  const { subject } = call;
  if (subject === '' || INVALID_SUBJECT.test(subject)) {
    return fail(`nats: '${subject}' is not a subject to send on`, true);
  }
  const data = payloadBytes(call.payload);
  if (data.byteLength > MAX_OUTPUT_BYTES) {
    return fail(`nats: the payload is over ${MAX_OUTPUT_BYTES} bytes`, true);
  }
  try {
    if (!call.request) {
      ctx.log(`nats: publish ${subject} (${data.byteLength} bytes)`);
      ctx.connection.publish(subject, data);
      await abortable(ctx.connection.flush(), ctx.signal);
      return { ok: true, exitCode: null };
    }
    ctx.log(`nats: request ${subject} (${data.byteLength} bytes)`);
    const started = performance.now();
    const reply = await abortable(
      ctx.connection.request(subject, data, { timeout: call.timeoutMs }),
      ctx.signal,
    );
    const ms = Math.round(performance.now() - started);
    ctx.log(`nats: reply from ${subject} (${ms} ms, ${reply.data.byteLength} bytes)`);
    if (reply.data.byteLength > MAX_OUTPUT_BYTES) {
      return fail(
        `nats: the reply is over ${MAX_OUTPUT_BYTES} bytes, the most kept per step`,
        true,
      );
    }
    const outputs = replyOutputs(reply.string(), reply.headers?.get('content-type'));
    if (!outputs.ok) return fail(`nats: ${outputs.error}`, true);
    return { ok: true, exitCode: null, ...(outputs.outputs && { outputs: outputs.outputs }) };
  } catch (err) {
    if (ctx.signal.aborted) return { ok: false, exitCode: null, error: 'cancelled' };
    if (
      err instanceof natsErrors.NoRespondersError ||
      (err instanceof natsErrors.RequestError && err.isNoResponders())
    ) {
      return fail(`nats: no responders on '${subject}' (nothing subscribes to it)`);
    }
    if (err instanceof natsErrors.TimeoutError) {
      return fail(`nats: no reply on '${subject}' within ${call.timeoutMs} ms`);
    }
    return fail(
      `nats: ${call.request ? 'request' : 'publish'} on '${subject}' failed: ${(err as Error).message}`,
    );
  }
}

function payloadBytes(payload: unknown): Uint8Array {
  if (payload === undefined) return new Uint8Array(0);
  return Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
}

/** `work`, or a rejection as soon as `signal` aborts (the request itself then times out alone). */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('cancelled'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('cancelled'));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}

function fail(error: string, nonRetryable = false): AttemptResult {
  return { ok: false, exitCode: null, error, ...(nonRetryable && { nonRetryable }) };
}

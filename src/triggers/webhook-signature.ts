/**
 * Webhook signatures with a timestamp: `X-Stator-Timestamp: <unix seconds>` and
 * `X-Stator-Signature: sha256=<hex>`, the HMAC-SHA256 under the trigger's secret of
 * `<timestamp>.<raw body>` (the timestamp header exactly as sent, a dot, the body bytes).
 * Signing the time makes a captured request worthless once it leaves the tolerance window;
 * within the window the webhook refuses a signature it already accepted (webhook-auth.ts).
 * Pure: no clock, no store. Digests of equal length are compared in constant time.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The request header carrying the signature (lower case, as Node presents headers). */
export const SIGNATURE_HEADER = 'x-stator-signature';
/** The request header carrying the signing time, unix seconds. */
export const TIMESTAMP_HEADER = 'x-stator-timestamp';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
const TIMESTAMP = /^[0-9]{1,12}$/;

function bytesOf(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** The HMAC-SHA256 of `<timestamp>.<body>` under `secret`. */
function digest(secret: string, timestamp: string, body: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body).digest();
}

/** The `X-Stator-Signature` value for `body` signed at `timestamp`: `sha256=<lowercase hex>`. */
export function signWebhook(
  secret: string,
  timestamp: number | string,
  body: Uint8Array | string,
): string {
  return `sha256=${digest(secret, String(timestamp), bytesOf(body)).toString('hex')}`;
}

/** Both headers of a call signed at `timestamp` (unix seconds; default: now by Date.now()). */
export function webhookSignatureHeaders(
  secret: string,
  body: Uint8Array | string,
  timestamp: number = Math.floor(Date.now() / 1000),
): Record<typeof TIMESTAMP_HEADER | typeof SIGNATURE_HEADER, string> {
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
  };
}

/** The seconds of an `X-Stator-Timestamp` value; undefined unless it is 1-12 decimal digits. */
export function parseWebhookTimestamp(header: string): number | undefined {
  const value = header.trim();
  return TIMESTAMP.test(value) ? Number(value) : undefined;
}

/**
 * Checks `header` against the signature of `body` at `timestamp` (as sent) under `secret`;
 * returns the signature's lowercase hex when it matches, undefined otherwise.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string,
  body: Uint8Array,
  header: string | undefined,
): string | undefined {
  const match = header === undefined ? null : SIGNATURE.exec(header.trim());
  const expected = digest(secret, timestamp.trim(), body);
  // A malformed or missing header is compared against a zero digest so the work is the same.
  const presented = match ? Buffer.from(match[1]!, 'hex') : Buffer.alloc(expected.length);
  const equal = timingSafeEqual(presented, expected);
  return equal && match !== null ? expected.toString('hex') : undefined;
}

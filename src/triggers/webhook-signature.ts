/**
 * Webhook signatures: `X-Stator-Signature: sha256=<hex>`, the HMAC-SHA256 of the raw request
 * body keyed by the trigger's secret (GitHub's `X-Hub-Signature-256` scheme). Verification
 * compares digests of equal length in constant time.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The request header carrying the signature (lower case, as Node presents headers). */
export const SIGNATURE_HEADER = 'x-stator-signature';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/** The HMAC-SHA256 digest of `body` under `secret`. */
function digest(secret: string, body: Uint8Array): Buffer {
  return createHmac('sha256', secret).update(body).digest();
}

/** The header value that signs `body` with `secret`: `sha256=<lowercase hex>`. */
export function signWebhookBody(secret: string, body: Uint8Array | string): string {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return `sha256=${digest(secret, bytes).toString('hex')}`;
}

/** True when `header` is a well-formed signature of exactly `body` under `secret`. */
export function verifyWebhookSignature(
  secret: string,
  body: Uint8Array,
  header: string | undefined,
): boolean {
  const match = header === undefined ? null : SIGNATURE.exec(header.trim());
  const expected = digest(secret, body);
  // A malformed or missing header is compared against a zero digest so the work is the same.
  const presented = match ? Buffer.from(match[1]!, 'hex') : Buffer.alloc(expected.length);
  return timingSafeEqual(presented, expected) && match !== null;
}

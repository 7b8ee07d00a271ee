/**
 * What a webhook call carries besides its signature: the body, a JSON object that becomes the
 * run's input (empty means `{}`), and an optional `Idempotency-Key` (printable ASCII, bounded).
 * @module
 */
import { InvalidArgumentError, MalformedPayloadError } from '../errors.ts';
import { isPlainObject } from '../workflow/index.ts';

/** Longest accepted `Idempotency-Key`. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
const KEY = /^[\x21-\x7e]+$/;

/** The input of a call: its body as a JSON object; 400 `malformed_json` or 422 otherwise. */
export function parseWebhookBody(body: Uint8Array): Record<string, unknown> {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MalformedPayloadError(`malformed JSON body: ${(err as Error).message}`, err);
  }
  if (!isPlainObject(value)) {
    throw InvalidArgumentError.format([
      { path: 'input', message: 'the webhook body must be a JSON object' },
    ]);
  }
  return value;
}

/** The `Idempotency-Key` if well-formed; 422 naming the header otherwise. */
export function checkIdempotencyKey(key: string): string {
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !KEY.test(key)) {
    throw InvalidArgumentError.format([
      {
        path: 'Idempotency-Key',
        message: `must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters`,
      },
    ]);
  }
  return key;
}

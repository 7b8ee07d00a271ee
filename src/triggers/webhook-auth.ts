/**
 * Authenticity, freshness and single use of a signed webhook call. `verifySignedCall` checks the
 * headers against the key: a signature and a timestamp must both be present, the timestamp
 * whole unix seconds, the HMAC of `<timestamp>.<body>` right, and the timestamp within the
 * tolerance of the injected clock, in the past or the future. `claimSignature` then records
 * the signature in the store (`claimIdempotencyKey`, scope `webhook-signature:<path>`, expiry
 * twice the tolerance), so the same call sent again, to this process after a restart or to
 * another one of the cluster, is refused. Every refusal is a 401 `unauthorized` whose
 * `details.reason` names the check.
 * @module
 */
import { UnauthorizedError } from '../errors.ts';
import type { Store } from '../store/index.ts';
import { parseWebhookTimestamp, verifyWebhookSignature } from './webhook-signature.ts';
import { signatureScope } from './webhook-scopes.ts';

/** `details.reason` of a refused signed call. */
export type WebhookRefusal =
  | 'signature_missing'
  | 'timestamp_missing'
  | 'timestamp_invalid'
  | 'signature_invalid'
  | 'timestamp_out_of_tolerance'
  | 'signature_replayed';

/** The parts of a call a signature covers. */
export interface SignedCall {
  body: Uint8Array;
  /** `X-Stator-Timestamp` as sent. */
  timestamp?: string;
  /** `X-Stator-Signature` as sent. */
  signature?: string;
}

function refuse(reason: WebhookRefusal, message: string, extra: object = {}): UnauthorizedError {
  return new UnauthorizedError(message, { reason, ...extra });
}

/**
 * Verifies a call signed with `key` at `nowMs`; returns the signature (lowercase hex) to claim.
 * Throws UnauthorizedError (401) with the failed check as `details.reason`.
 */
export function verifySignedCall(
  key: string,
  call: SignedCall,
  nowMs: number,
  toleranceMs: number,
): string {
  if (call.signature === undefined) {
    throw refuse('signature_missing', 'missing X-Stator-Signature header');
  }
  if (call.timestamp === undefined) {
    throw refuse('timestamp_missing', 'missing X-Stator-Timestamp header');
  }
  const seconds = parseWebhookTimestamp(call.timestamp);
  if (seconds === undefined) {
    throw refuse('timestamp_invalid', 'X-Stator-Timestamp must be unix seconds (digits only)');
  }
  const signature = verifyWebhookSignature(key, call.timestamp, call.body, call.signature);
  if (signature === undefined) throw refuse('signature_invalid', 'invalid webhook signature');
  if (Math.abs(nowMs - seconds * 1000) > toleranceMs) {
    const toleranceSeconds = toleranceMs / 1000;
    throw refuse(
      'timestamp_out_of_tolerance',
      `X-Stator-Timestamp is more than ${toleranceSeconds} s away from the server's clock`,
      { toleranceSeconds },
    );
  }
  return signature;
}

/** What claimSignature records. */
export interface SignatureClaim {
  path: string;
  /** The accepted signature, lowercase hex. */
  signature: string;
  /** The execution id proposed for the call's run (informational). */
  executionId: string;
  nowMs: number;
  toleranceMs: number;
}

/** Records an accepted signature for twice the tolerance; 401 `signature_replayed` if it was. */
export async function claimSignature(
  store: Pick<Store, 'claimIdempotencyKey'>,
  claim: SignatureClaim,
): Promise<void> {
  const { created } = await store.claimIdempotencyKey({
    scope: signatureScope(claim.path),
    key: claim.signature,
    executionId: claim.executionId,
    createdAt: new Date(claim.nowMs).toISOString(),
    expiresAt: new Date(claim.nowMs + 2 * claim.toleranceMs).toISOString(),
  });
  if (!created) {
    throw refuse(
      'signature_replayed',
      'this signature was already accepted: sign every call anew, with its own timestamp',
    );
  }
}

/**
 * Options of the webhooks, resolved once: how long an `Idempotency-Key` is remembered, and how
 * far a signed call's `X-Stator-Timestamp` may be from the server's clock (either way). An
 * accepted signature is remembered for twice the tolerance: long enough to cover every moment
 * its timestamp is still accepted, wherever in the window it was first used.
 * @module
 */
import { InvalidArgumentError, type FieldIssue } from '../errors.ts';

/** Default of `WebhookOptions.idempotencyRetentionMs`: 24 h. */
export const DEFAULT_IDEMPOTENCY_RETENTION_MS = 86_400_000;
/** Longest retention: the cluster store keeps claims at most 7 days. */
export const MAX_IDEMPOTENCY_RETENTION_MS = 7 * 86_400_000;
/** Default of `WebhookOptions.signatureToleranceMs`: 5 minutes. */
export const DEFAULT_SIGNATURE_TOLERANCE_MS = 300_000;
/** Shortest tolerance: timestamps are whole seconds. */
export const MIN_SIGNATURE_TOLERANCE_MS = 1000;
/** Longest tolerance (signatures are then remembered 2 days, within the claims' 7). */
export const MAX_SIGNATURE_TOLERANCE_MS = 86_400_000;

/** Options of the webhooks. */
export interface WebhookOptions {
  /** How long an Idempotency-Key is remembered per path, at most 7 days. @default 86400000 */
  idempotencyRetentionMs?: number;
  /**
   * How far `X-Stator-Timestamp` may be from now, in the past or the future (1 s to 24 h);
   * accepted signatures are remembered twice as long. @default 300000
   */
  signatureToleranceMs?: number;
}

/** Webhook options after defaults and checks. */
export interface ResolvedWebhookOptions {
  idempotencyRetentionMs: number;
  signatureToleranceMs: number;
}

function rangeIssue(field: string, value: number, min: number, max: number, text: string) {
  const fits = Number.isInteger(value) && value >= min && value <= max;
  return fits ? [] : [{ path: `webhooks.${field}`, message: `must be ${text} (integer ms)` }];
}

/** Merges the defaults and checks ranges; InvalidArgumentError naming each bad field. */
export function resolveWebhookOptions(input: WebhookOptions = {}): ResolvedWebhookOptions {
  const resolved: ResolvedWebhookOptions = {
    idempotencyRetentionMs: input.idempotencyRetentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS,
    signatureToleranceMs: input.signatureToleranceMs ?? DEFAULT_SIGNATURE_TOLERANCE_MS,
  };
  const issues: FieldIssue[] = [
    ...rangeIssue(
      'idempotencyRetentionMs',
      resolved.idempotencyRetentionMs,
      1,
      MAX_IDEMPOTENCY_RETENTION_MS,
      '1 ms to 7 days',
    ),
    ...rangeIssue(
      'signatureToleranceMs',
      resolved.signatureToleranceMs,
      MIN_SIGNATURE_TOLERANCE_MS,
      MAX_SIGNATURE_TOLERANCE_MS,
      '1 s to 24 h',
    ),
  ];
  if (issues.length > 0) throw InvalidArgumentError.format(issues);
  return resolved;
}

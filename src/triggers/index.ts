/**
 * Triggers: what starts workflow runs on its own.
 * Exports: NatsTriggers, defaultTriggerQueue, ExecuteFn.
 * Webhooks: Webhooks, httpTriggersOf, normaliseHookPath, signWebhookBody, verifyWebhookSignature,
 * SIGNATURE_HEADER, DEFAULT_IDEMPOTENCY_RETENTION_MS, MAX_IDEMPOTENCY_RETENTION_MS,
 * MAX_IDEMPOTENCY_KEY_LENGTH, MAX_HOOK_PATH_LENGTH, and their types.
 * @module
 */
export { NatsTriggers, defaultTriggerQueue } from './nats-triggers.ts';
export type { ExecuteFn } from './nats-triggers.ts';
export {
  Webhooks,
  httpTriggersOf,
  normaliseHookPath,
  DEFAULT_IDEMPOTENCY_RETENTION_MS,
  MAX_IDEMPOTENCY_RETENTION_MS,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_HOOK_PATH_LENGTH,
} from './webhooks.ts';
export type {
  HttpTrigger,
  WebhookDeps,
  WebhookFire,
  WebhookOptions,
  WebhookRequest,
  WebhookResult,
} from './webhooks.ts';
export { signWebhookBody, verifyWebhookSignature, SIGNATURE_HEADER } from './webhook-signature.ts';

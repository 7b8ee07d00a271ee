/**
 * Triggers: what starts workflow runs on its own.
 * Exports: NatsTriggers, defaultTriggerQueue, NatsMessageHandler; NatsStreamTriggers,
 * StreamTriggerSource, STREAM_TRIGGER_DEFAULTS, streamConsumerName, streamMessageKey;
 * decodeTriggerMessage, DecodedMessage, MessageResult, TriggerMessage.
 * Trigger actors: TriggerRegistry, TriggerRegistryDeps, TriggerMetrics, DEFAULT_RESYNC_MS,
 * DEFAULT_QUEUE_POLL_MS, triggerId, declaredTriggers, effectivePolicy, GatePolicy, planCatchUp,
 * catchUpReference, CatchUpPlan, DeclaredTrigger, FireCall, FireOptions, FireOutcome,
 * FireRequest, FireResult, TriggerQuery, TriggerStatus, TriggerView.
 * Schedulers: Scheduler, ScheduleCallback, ScheduleHandle, ScheduleOptions, createCronerScheduler,
 * CronerSchedulerOptions, createSimulatedScheduler, SimulatedScheduler, CronExpression,
 * compileCron, validateCron, MAX_RUNS_PER_QUERY.
 * Webhooks: Webhooks, httpTriggersOf, normaliseHookPath, signWebhook, webhookSignatureHeaders,
 * verifyWebhookSignature, parseWebhookTimestamp, SIGNATURE_HEADER, TIMESTAMP_HEADER,
 * resolveWebhookOptions, DEFAULT_IDEMPOTENCY_RETENTION_MS, MAX_IDEMPOTENCY_RETENTION_MS,
 * DEFAULT_SIGNATURE_TOLERANCE_MS, MIN_SIGNATURE_TOLERANCE_MS, MAX_SIGNATURE_TOLERANCE_MS,
 * MAX_IDEMPOTENCY_KEY_LENGTH, MAX_HOOK_PATH_LENGTH, SECRET_UNAVAILABLE, and their types.
 * @module
 */
export { NatsTriggers, defaultTriggerQueue } from './nats-triggers.ts';
export type { NatsMessageHandler } from './nats-triggers.ts';
export { NatsStreamTriggers } from './nats-stream-triggers.ts';
export { STREAM_TRIGGER_DEFAULTS } from './nats-stream-consumer.ts';
export type { StreamTriggerSource } from './nats-stream-consumer.ts';
export { streamConsumerName, streamMessageKey } from './trigger-names.ts';
export { decodeTriggerMessage } from './trigger-message.ts';
export type { DecodedMessage, MessageResult, TriggerMessage } from './trigger-message.ts';
export {
  TriggerRegistry,
  DEFAULT_RESYNC_MS,
  DEFAULT_QUEUE_POLL_MS,
  DEFAULT_MAX_PENDING_MESSAGES,
} from './trigger-registry.ts';
export type { TriggerMetrics, TriggerRegistryDeps } from './trigger-registry.ts';
export type { Scheduler, ScheduleCallback, ScheduleHandle, ScheduleOptions } from './scheduler.ts';
export { createCronerScheduler } from './croner-scheduler.ts';
export type { CronerSchedulerOptions } from './croner-scheduler.ts';
export { createSimulatedScheduler } from './simulated-scheduler.ts';
export type { SimulatedScheduler } from './simulated-scheduler.ts';
export {
  CronExpression,
  compileCron,
  validateCron,
  MAX_RUNS_PER_QUERY,
} from './cron-expression.ts';
export { triggerId, declaredTriggers } from './trigger-ids.ts';
export { planCatchUp, catchUpReference } from './catch-up.ts';
export type { CatchUpPlan } from './catch-up.ts';
export { effectivePolicy } from './workflow-gate.ts';
export type { GatePolicy } from './workflow-gate.ts';
export type {
  DeclaredTrigger,
  FireCall,
  FireOptions,
  FireOutcome,
  FireRequest,
  FireResult,
  TriggerQuery,
  TriggerStatus,
  TriggerView,
} from './types.ts';
export { Webhooks, httpTriggersOf, normaliseHookPath, MAX_HOOK_PATH_LENGTH } from './webhooks.ts';
export type {
  HttpTrigger,
  WebhookDeps,
  WebhookFire,
  WebhookRequest,
  WebhookResult,
} from './webhooks.ts';
export {
  resolveWebhookOptions,
  DEFAULT_IDEMPOTENCY_RETENTION_MS,
  MAX_IDEMPOTENCY_RETENTION_MS,
  DEFAULT_SIGNATURE_TOLERANCE_MS,
  MIN_SIGNATURE_TOLERANCE_MS,
  MAX_SIGNATURE_TOLERANCE_MS,
} from './webhook-options.ts';
export type { ResolvedWebhookOptions, WebhookOptions } from './webhook-options.ts';
export { MAX_IDEMPOTENCY_KEY_LENGTH } from './webhook-body.ts';
export type { WebhookRefusal } from './webhook-auth.ts';
export { SECRET_UNAVAILABLE } from './hook-secret.ts';
export {
  signWebhook,
  webhookSignatureHeaders,
  verifyWebhookSignature,
  parseWebhookTimestamp,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
} from './webhook-signature.ts';

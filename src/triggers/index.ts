/**
 * Triggers: what starts workflow runs on its own.
 * Exports: NatsTriggers, defaultTriggerQueue, ExecuteFn.
 * @module
 */
export { NatsTriggers, defaultTriggerQueue } from './nats-triggers.ts';
export type { ExecuteFn } from './nats-triggers.ts';

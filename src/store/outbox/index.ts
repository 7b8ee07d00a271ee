/**
 * The outbox store: accepted runs' writes wait out an unreachable store (outbox-store.ts).
 * @module
 */
export {
  withOutbox,
  type OutboxOptions,
  type OutboxStatus,
  type OutboxStore,
  type WriteOwner,
} from './outbox-store.ts';
export { isUnreachable } from './unreachable.ts';

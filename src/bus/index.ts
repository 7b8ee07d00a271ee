/**
 * The bus module: one interface with NATS semantics, two implementations.
 *
 * Types: Bus, BusMessage, BusHandler, BusSubscription, SubscribeOptions, RequestOptions, BusStats.
 * In-process: createMemoryBus, resolveMemoryBusOptions, MemoryBus, MemoryBusOptions,
 * DEFAULT_MAX_PENDING, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_DELIVERY_BATCH.
 * NATS: createNatsBus, connectNatsBus, resolveNatsBusOptions, NatsBus, NatsBusOptions,
 * NatsTlsOptions, DEFAULT_NATS_URL, DEFAULT_OUTBOX_LIMIT, DEFAULT_RECONNECT_WAIT_MS,
 * DEFAULT_CLOSE_TIMEOUT_MS.
 * Codec: encodePayload, decodeJson, decodeText, EMPTY_PAYLOAD.
 * Owners: requestOwner, OwnerAnswer (a request on an actor's inbound subject).
 * Subjects: SUBJECT_ROOT, ACTOR_KINDS, actorAddress, actorIn, actorOut, actorWildcard, apiSubject,
 * apiWildcard, workSubject, inboxSubject, INBOX_ROOT, parseActorSubject, parseApiSubject,
 * isValidToken, validateToken, isValidSubject, validateSubject, isValidPattern, validatePattern,
 * isWildcardPattern, subjectMatches, tokensMatch, ActorKind, ActorAddress, Direction,
 * ParsedActorSubject.
 * @module
 */
export type {
  Bus,
  BusHandler,
  BusMessage,
  BusStats,
  BusSubscription,
  RequestOptions,
  SubscribeOptions,
} from './types.ts';
export {
  createMemoryBus,
  resolveMemoryBusOptions,
  DEFAULT_DELIVERY_BATCH,
  DEFAULT_MAX_PENDING,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type MemoryBus,
  type MemoryBusOptions,
  type ResolvedMemoryBusOptions,
} from './memory-bus.ts';
export {
  createNatsBus,
  connectNatsBus,
  resolveNatsBusOptions,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_NATS_URL,
  DEFAULT_OUTBOX_LIMIT,
  DEFAULT_RECONNECT_WAIT_MS,
  type NatsBus,
  type NatsBusOptions,
  type NatsTlsOptions,
  type ResolvedNatsBusOptions,
} from './nats-bus.ts';
export { decodeJson, decodeText, encodePayload, EMPTY_PAYLOAD } from './codec.ts';
export { requestOwner, type OwnerAnswer } from './owner-request.ts';
export {
  ACTOR_KINDS,
  INBOX_ROOT,
  SUBJECT_ROOT,
  actorAddress,
  actorIn,
  actorOut,
  actorWildcard,
  apiSubject,
  apiWildcard,
  inboxSubject,
  isValidPattern,
  isValidSubject,
  isValidToken,
  isWildcardPattern,
  parseActorSubject,
  parseApiSubject,
  subjectMatches,
  tokensMatch,
  validatePattern,
  validateSubject,
  validateToken,
  workSubject,
  type ActorAddress,
  type ActorKind,
  type Direction,
  type ParsedActorSubject,
} from './subjects.ts';

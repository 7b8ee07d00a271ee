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
 * Names: subjectSpace (every subject, queue group, stream, bucket and durable name of one
 * deployment prefix; each bus carries its own as `bus.subjects`), SubjectSpace, DEFAULT_PREFIX,
 * PREFIX_RULE, isValidPrefix, validatePrefix, ACTOR_KINDS, actorAddress, inboxSubject, INBOX_ROOT,
 * isValidToken, validateToken, ActorKind, ActorAddress, Direction, ParsedActorSubject, MicroVerb.
 * Patterns: isValidSubject, validateSubject, isValidPattern, validatePattern, isWildcardPattern,
 * subjectMatches, tokensMatch.
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
  natsConnectionOf,
  type NatsBus,
  type NatsBusOptions,
  type NatsTlsOptions,
  type ResolvedNatsBusOptions,
} from './nats-bus.ts';
export { decodeJson, decodeText, encodePayload, EMPTY_PAYLOAD } from './codec.ts';
export { requestOwner, type OwnerAnswer } from './owner-request.ts';
export {
  ACTOR_KINDS,
  DEFAULT_PREFIX,
  INBOX_ROOT,
  PREFIX_RULE,
  actorAddress,
  inboxSubject,
  isValidPrefix,
  isValidToken,
  subjectSpace,
  validatePrefix,
  validateToken,
  type ActorAddress,
  type ActorKind,
  type Direction,
  type MicroVerb,
  type ParsedActorSubject,
  type SubjectSpace,
} from './subjects.ts';
export {
  isValidPattern,
  isValidSubject,
  isWildcardPattern,
  subjectMatches,
  tokensMatch,
  validatePattern,
  validateSubject,
} from './subject-patterns.ts';

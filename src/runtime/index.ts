/**
 * The actor system: the composition root, the service and its options, machine inspection.
 * Exports: createStator, resolveStatorOptions, machineInfos, machineInfo, toMermaid, the
 * option constants, the topology and the seams (`Deps`), the service types, and retention
 * (the pruner, its setting and status).
 * @module
 */
export { createStator } from './create-stator.ts';
export {
  resolveStatorOptions,
  DEFAULT_DATA_DIR,
  DEFAULT_ENGINES,
  DEFAULT_SLOTS_PER_ENGINE,
  DEFAULT_QUEUE_LIMIT,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_EXECUTE_IDEMPOTENCY_RETENTION_MS,
} from './options.ts';
export type { StatorOptions, ResolvedStatorOptions } from './options.ts';
export { resolveTopology } from './topology.ts';
export type { Topology, TopologyMode, TopologyOptions } from './topology.ts';
export type { Deps } from './deps.ts';
export { DEFAULT_LEASE_TTL_MS, MIN_LEASE_TTL_MS, MAX_LEASE_TTL_MS } from './leases/index.ts';
export {
  Retention,
  resolveRetentionOptions,
  DEFAULT_RETENTION_BATCH,
  DEFAULT_RETENTION_FIRST_PASS_MS,
  DEFAULT_RETENTION_INTERVAL_MS,
} from './retention.ts';
export type { ResolvedRetentionOptions, RetentionOptions, RetentionStatus } from './retention.ts';
export {
  DEFAULT_RETENTION,
  KEEP_FOREVER,
  formatRetention,
  parseRetention,
} from './retention-setting.ts';
export type { RetentionPolicy } from './retention-setting.ts';
export { machineInfos, machineInfo, toMermaid } from './machine-catalog.ts';
export { MemoryWorkQueue, createJetStreamWorkQueue } from './work-queue/index.ts';
export type {
  JetStreamWorkQueueOptions,
  WorkConsumer,
  WorkItem,
  WorkLease,
  WorkQueue,
} from './work-queue/index.ts';
export type {
  EventFilter,
  EventGap,
  EventListener,
  EventSubscription,
  ExecuteOptions,
  ExecuteResult,
  ExecutionView,
  Health,
  HealthCheck,
  MachineInfo,
  Stator,
  SubscribeOptions,
} from './types.ts';

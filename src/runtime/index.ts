/**
 * The actor system: the composition root, the service and its options, machine inspection.
 * Exports: createStator, resolveStatorOptions, machineInfos, machineInfo, toMermaid, the
 * option constants, and the service types.
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
} from './options.ts';
export type { StatorOptions, ResolvedStatorOptions } from './options.ts';
export { machineInfos, machineInfo, toMermaid } from './machine-catalog.ts';
export { MemoryWorkQueue } from './work-queue.ts';
export type { WorkQueue, WorkItem } from './work-queue.ts';
export type {
  EventFilter,
  EventGap,
  EventListener,
  EventSubscription,
  ExecuteOptions,
  ExecutionView,
  Health,
  MachineInfo,
  Stator,
  SubscribeOptions,
} from './types.ts';

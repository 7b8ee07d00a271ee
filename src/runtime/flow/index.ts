/**
 * Flow control: the `FlowGate` seam (per-key run concurrency and rate limits), its in-process
 * implementation and the one a cluster's nodes share (a JetStream KV bucket).
 * @module
 */
export type {
  FlowGate,
  FlowReady,
  FlowRun,
  FlowSuperseded,
  FlowVerdict,
  FlowWait,
} from './types.ts';
export { MemoryFlowGate, type MemoryFlowGateOptions } from './memory-flow-gate.ts';
export { ClusterFlowGate, type ClusterFlowGateOptions } from './cluster-flow-gate.ts';
export type { FlowRunState } from './flow-sweep.ts';
export { openFlowKv, type FlowKv, type FlowKvOptions } from './flow-kv.ts';

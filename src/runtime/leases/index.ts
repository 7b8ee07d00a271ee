/**
 * Leases (cluster mode): each running execution and each session is owned by one node through a
 * revision-checked KV entry riding on a per-node heartbeat; an expired or released lease is taken
 * over by another node, and a node that lost a lease stops its copy before it writes anything.
 * - `LeaseManager`: a node's leases, beats, sweeps and claims; `AcquireResult`, `LeaseStanding`.
 * - `LeaseFence`: gates a run's events on its lease.
 * - `LostLeases`: what this node lost, so the outbox drops its queued writes.
 * - `openLeaseKv`, `LeaseKv`: the lease bucket; `leaseBucketName`, `leaseKeys`: its names.
 * - `resolveLeaseOptions`, `DEFAULT_LEASE_TTL_MS`, `MIN_LEASE_TTL_MS`, `MAX_LEASE_TTL_MS`.
 * @module
 */
export {
  LeaseManager,
  type AcquireResult,
  type LeaseManagerDeps,
  type LeaseRef,
  type LeaseStanding,
} from './lease-manager.ts';
export { LeaseFence, MAX_HELD_EVENTS, type FencedSink } from './lease-fence.ts';
export { LostLeases, LOST_LEASES_LIMIT } from './lost-leases.ts';
export { openLeaseKv, type LeaseKv, type LeaseKvOptions } from './lease-kv.ts';
export { leaseBucketName, leaseKeys, type LeaseKind } from './lease-names.ts';
export {
  resolveLeaseOptions,
  DEFAULT_LEASE_TTL_MS,
  MIN_LEASE_TTL_MS,
  MAX_LEASE_TTL_MS,
  type LeaseOptions,
  type ResolvedLeaseOptions,
} from './lease-options.ts';

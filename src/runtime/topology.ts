/**
 * The topology of one service: what it shares with other processes and who owns what. Resolved
 * once by the composition root (create-stator.ts) from the options and handed to every part in
 * `Deps`; no other code infers the mode from an implementation's kind.
 *
 * - embedded: the work queue is in process, so every run accepted here runs here; at start the
 *   store's unfinished runs are queued again; definitions may be cached for new runs; this
 *   process answers `not_found` for actors nobody holds. The bus may still be NATS (subjects
 *   reachable from other languages) and the store may still be shared (`sharedStore`).
 * - cluster: the work queue is shared, so a run accepted here may run on any process; queued
 *   runs survive this process in the queue; triggers claim their fires, sessions of another
 *   process are reached over the bus, and nobody answers for an actor it does not hold.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';
import type { WorkQueue } from './work-queue/index.ts';

/** How the service is deployed. */
export type TopologyMode = 'embedded' | 'cluster';

/** What the caller states about the deployment (`StatorOptions.topology`). */
export interface TopologyOptions {
  /**
   * `cluster` needs a shared work queue (JetStream, `connectCluster()`); `embedded` refuses one.
   * @default "cluster" when the given work queue is shared, else "embedded"
   */
  mode?: TopologyMode;
  /**
   * Other processes read and write the same store: definitions are then read at each run
   * instead of cached (another process may replace one). @default true in cluster mode, else false
   */
  sharedStore?: boolean;
}

/** The resolved topology. */
export interface Topology {
  readonly mode: TopologyMode;
  /** This process's name (records, leases, engine ids). */
  readonly node: string;
  /** The work queue is shared: a run queued here may run on another process. */
  readonly sharedQueue: boolean;
  /** Other processes use the same store. */
  readonly sharedStore: boolean;
  /**
   * Who owns a running execution or session: `local`, the process that took it until it ends
   * (nobody takes it over); `leased`, whoever holds its lease (taken over when it expires).
   */
  readonly ownership: 'local' | 'leased';
  /** Definitions may be cached for new runs: no other process replaces them. */
  readonly cacheDefinitions: boolean;
  /** Unfinished runs in the store are queued again at start (the queue died with the process). */
  readonly requeueAtStart: boolean;
  /** This process is the only holder of actors: it answers `not_found` for unknown ones. */
  readonly answerUnknown: boolean;
}

/** What `resolveTopology` reads from the service's options. */
export interface TopologyInput {
  topology?: TopologyOptions;
  node: string;
  workQueue?: Pick<WorkQueue, 'shared'>;
  leases?: unknown;
}

/** Resolves the topology once; contradictions are refused by field name. */
export function resolveTopology(input: TopologyInput): Topology {
  const sharedQueue = input.workQueue?.shared === true;
  const mode = input.topology?.mode ?? (sharedQueue ? 'cluster' : 'embedded');
  const issues: Array<{ path: string; message: string }> = [];
  if (mode === 'cluster' && !sharedQueue) {
    issues.push({
      path: 'topology.mode',
      message: 'cluster mode needs a shared work queue (workQueue from connectCluster())',
    });
  }
  if (mode === 'embedded' && sharedQueue) {
    issues.push({ path: 'topology.mode', message: 'embedded mode takes no shared work queue' });
  }
  if (mode === 'embedded' && input.leases !== undefined) {
    issues.push({ path: 'leases', message: 'leases are for cluster mode (a shared work queue)' });
  }
  if (mode === 'cluster' && input.topology?.sharedStore === false) {
    issues.push({ path: 'topology.sharedStore', message: 'cluster mode shares its store' });
  }
  if (issues.length > 0) throw InvalidArgumentError.format(issues);
  const cluster = mode === 'cluster';
  const sharedStore = input.topology?.sharedStore ?? cluster;
  return Object.freeze({
    mode,
    node: input.node,
    sharedQueue,
    sharedStore,
    ownership: input.leases === undefined ? 'local' : 'leased',
    cacheDefinitions: !sharedStore,
    requeueAtStart: !cluster,
    answerUnknown: !cluster,
  });
}

/**
 * Cluster mode: the seams built on one NATS connection — the NATS bus, the JetStream store,
 * the JetStream work queue and the stream of every actor's outbound events. `createStator()`
 * takes them as options; this module only builds them from a configuration.
 * @module
 */
import type { Logger } from 'pino';
import { jetstreamManager } from '@nats-io/jetstream';
import { createNatsBus, type NatsBus, type NatsBusOptions } from '../bus/index.ts';
import {
  createJetStreamStore,
  ensureEventStream,
  withOutbox,
  type OutboxStore,
} from '../store/index.ts';
import type { HealthCheck } from './types.ts';
import { createJetStreamWorkQueue } from './work-queue/index.ts';
import { openLeaseKv, type LeaseKv } from './leases/index.ts';
import { openFlowKv, type FlowKv } from './flow/index.ts';
import type { WorkQueue } from './work-queue/index.ts';
import type { TopologyOptions } from './topology.ts';
import type { Clock } from '../clock.ts';

/** What cluster mode needs to know. */
export interface ClusterOptions {
  /** Comma-separated server URLs. */
  url: string;
  /** Connection name shown by the server (`nats server report connections`). */
  name: string;
  /**
   * The deployment prefix (`--nats-prefix`): the first token of every subject and the start of
   * every queue group, stream, bucket and consumer name (src/bus/subjects.ts). @default "stator"
   */
  prefix?: string;
  /** Copies of every stream and bucket (1 to 5). @default 1 */
  replicas?: number;
  user?: string;
  password?: string;
  token?: string;
  credsFile?: string;
  nkeySeed?: string;
  /** Executions waiting at most in the shared queue. @default 10000 */
  queueLimit?: number;
  /** Record writes waiting at most while the store is unreachable. @default 100000 */
  outboxLimit?: number;
  /** How long a node's leases outlive its last heartbeat (`--lease-ttl`). @default 10000 */
  leaseTtlMs?: number;
  logger: Logger;
  /** Times the outbox's retries and the work queue's; give the service's. @default systemClock */
  clock?: Clock;
}

/** The seams of cluster mode, ready for `createStator()`. */
export interface ClusterSeams {
  bus: NatsBus;
  /** The JetStream store behind an outbox: accepted runs' writes wait out NATS outages. */
  store: OutboxStore;
  workQueue: WorkQueue;
  /** What these seams make of a service, for `createStator({ topology })`: a cluster node. */
  topology: TopologyOptions;
  /** The NATS connection and the store, for `/health`. */
  healthChecks: HealthCheck[];
  /**
   * The lease bucket of the deployment, for `createStator({ leases })`, and the outbox's hook
   * that drops queued writes of runs and sessions lost to another node.
   */
  leases: {
    kv: LeaseKv;
    ttlMs?: number;
    dropQueuedWrites: OutboxStore['dropWritesOf'];
  };
  /** The flow bucket, for `createStator({ flowKv })`: per-key limits shared by the nodes. */
  flowKv: FlowKv;
  /** Closes the store and the connection (after the service has closed). */
  close(): Promise<void>;
}

/** Connects and builds every cluster seam. */
export async function connectCluster(opts: ClusterOptions): Promise<ClusterSeams> {
  const busOptions: NatsBusOptions = {
    servers: opts.url.split(',').map((s) => s.trim()),
    name: opts.name,
    ...(opts.prefix !== undefined && { prefix: opts.prefix }),
  };
  if (opts.user !== undefined) busOptions.user = opts.user;
  if (opts.password !== undefined) busOptions.pass = opts.password;
  if (opts.token !== undefined) busOptions.token = opts.token;
  if (opts.credsFile !== undefined) busOptions.credsFile = opts.credsFile;
  if (opts.nkeySeed !== undefined) busOptions.nkeySeed = opts.nkeySeed;
  const bus = await createNatsBus(busOptions);
  try {
    const names = bus.subjects;
    const { prefix } = names;
    const replicas = opts.replicas ?? 1;
    const store = withOutbox(
      await createJetStreamStore({ connection: bus.connection, prefix, replicas }),
      {
        logger: opts.logger,
        limit: opts.outboxLimit,
        ...(opts.clock && { clock: opts.clock }),
      },
    );
    const jsm = await jetstreamManager(bus.connection);
    try {
      await ensureEventStream(jsm, { prefix, replicas });
    } catch (err) {
      // Another stream on this server may already capture `<prefix>.*.*.out`.
      opts.logger.warn({ err }, 'event stream not created; outbound events are not replayable');
    }
    const workQueue = await createJetStreamWorkQueue({
      connection: bus.connection,
      logger: opts.logger,
      subjects: names,
      // The pool is named after the prefix too: `stator.work.stator` in earlier releases.
      pool: prefix,
      stream: names.streams.work,
      limit: opts.queueLimit,
      replicas,
      ...(opts.clock && { clock: opts.clock }),
      // Frees the places in a workflow's `maxQueuedExecutions` of runs no longer waiting.
      runState: async (id) => {
        const run = await store.getExecution(id);
        return !run ? 'missing' : run.status === 'pending' ? 'pending' : 'other';
      },
    });
    return {
      bus,
      store,
      workQueue,
      topology: { mode: 'cluster', sharedStore: true },
      healthChecks: clusterHealthChecks(bus, store),
      leases: {
        kv: await openLeaseKv({ connection: bus.connection, prefix, replicas }),
        ...(opts.leaseTtlMs !== undefined && { ttlMs: opts.leaseTtlMs }),
        dropQueuedWrites: (lost) => store.dropWritesOf(lost),
      },
      flowKv: await openFlowKv({ connection: bus.connection, prefix, replicas }),
      async close() {
        await store.close();
        await bus.close();
      },
    };
  } catch (err) {
    await bus.close();
    throw err;
  }
}

/** `/health` problems of cluster mode: a lost NATS connection, writes waiting in the outbox. */
function clusterHealthChecks(bus: NatsBus, store: OutboxStore): HealthCheck[] {
  return [
    {
      name: 'nats',
      problem: () => (bus.connected ? undefined : 'disconnected from NATS; reconnecting'),
    },
    {
      name: 'store',
      problem: () => {
        const s = store.outbox();
        if (s.failingSince === null && s.pending === 0) return undefined;
        const since =
          s.failingSince === null ? '' : ` since ${new Date(s.failingSince).toISOString()}`;
        return `store unreachable${since}: ${s.pending} writes wait in the outbox (${s.lastError ?? 'no answer'})`;
      },
    },
  ];
}

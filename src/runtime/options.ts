/**
 * Options of `createStator()`: given as StatorOptions, resolved once into ResolvedStatorOptions.
 * @module
 */
import type { HealthCheck } from './types.ts';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Bus } from '../bus/types.ts';
import type { Store, WriteOwner } from '../store/index.ts';
import type { ProcessRunner } from '../exec/types.ts';
import type { Clock } from '../clock.ts';
import type { WorkQueue } from './work-queue/index.ts';
import type { MonitorHubOptions } from '../monitor/monitor-hub.ts';
import type { Scheduler, StreamTriggerSource, WebhookOptions } from '../triggers/index.ts';
import type { SessionManagerOptions } from '../sessions/index.ts';
import type { RateLimiterOptions } from '../commands/rate-limiter.ts';
import { InvalidArgumentError } from '../errors.ts';
import { DEFAULT_GLOBAL_POLICY } from '../plans/index.ts';
import type { Policy } from '../workflow/index.ts';
import {
  resolveRetentionOptions,
  type ResolvedRetentionOptions,
  type RetentionOptions,
} from './retention.ts';
import { passthroughNameProblem } from '../exec/index.ts';
import type { SecretRegistry } from '../secrets/index.ts';
import { resolveLeaseOptions, type LeaseKv, type ResolvedLeaseOptions } from './leases/index.ts';
import type { FlowKv } from './flow/index.ts';
import { resolveTopology, type Topology, type TopologyOptions } from './topology.ts';
import {
  DEFAULT_ARTIFACT_MAX_FILE_BYTES,
  DEFAULT_ARTIFACT_MAX_RUN_BYTES,
  type ArtifactLimits,
  type ArtifactStore,
} from '../artifacts/index.ts';
import {
  resolveCircuitBreakerOptions,
  type CircuitBreakerOptions,
  type ResolvedCircuitBreakerOptions,
} from './calls/index.ts';

/** @default "./.stator" */
export const DEFAULT_DATA_DIR = './.stator';
/** @default 2 */
export const DEFAULT_ENGINES = 2;
/** @default 8 */
export const DEFAULT_SLOTS_PER_ENGINE = 8;
/** @default 10000 */
export const DEFAULT_QUEUE_LIMIT = 10_000;
/** @default 86400000 (24 h) */
export const DEFAULT_EXECUTE_IDEMPOTENCY_RETENTION_MS = 86_400_000;
/** Longest `idempotencyRetentionMs`: the cluster store keeps claims at most 7 days. */
export const MAX_EXECUTE_IDEMPOTENCY_RETENTION_MS = 7 * 86_400_000;
/** @default 2000 */
export const DEFAULT_KILL_GRACE_MS = 2000;
/** @default 10000 */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** @default 50 */
export const DEFAULT_MAX_SESSIONS = 50;

/** Options of the service. Seams not given are built from the rest. */
export interface StatorOptions {
  /** Where the SQLite file lives. @default "./.stator" (env STATOR_DATA_DIR is read by config.ts) */
  dataDir?: string;
  /** `sqlite` (file under dataDir), `memory`, or a ready Store. @default "sqlite" */
  store?: 'sqlite' | 'memory' | Store;
  /** A ready bus; an in-process bus when absent. */
  bus?: Bus;
  /** A ready work queue (JetStream in cluster mode); an in-process bounded queue when absent. */
  workQueue?: WorkQueue;
  /**
   * The deployment: `cluster` (a shared work queue) or `embedded`, and whether the store is
   * shared with other processes (topology.ts). @default from the work queue: shared → cluster
   */
  topology?: TopologyOptions;
  runner?: ProcessRunner;
  /**
   * Spawn step and session processes through the data directory's process host (src/host), so
   * they outlive a restart of this process. Needs a data directory of our own (the SQLite
   * store's, or an explicit `dataDir` with `leases` in cluster mode) and no custom runner.
   * @default true
   */
  processHost?: boolean;
  clock?: Clock;
  /** pino logger; a silent one when absent. */
  logger?: Logger;
  /** Engines (executor actors) in this process. @default 2 */
  engines?: number;
  /** Slots (parallel executions) per engine. @default 8 */
  slotsPerEngine?: number;
  /**
   * Executions waiting for a slot on this node before `execute` is refused with 429
   * `queue_full` (`STATOR_MAX_QUEUED`, `--max-queued`). @default 10000
   */
  queueLimit?: number;
  /** How long an `Idempotency-Key` of execute is remembered per workflow, ms (at most 7 days). @default 86400000 */
  idempotencyRetentionMs?: number;
  /** Grace between SIGTERM and SIGKILL when a step is stopped. @default 2000 */
  killGraceMs?: number;
  /** Name of this process in execution records. @default `${hostname}-${pid}` */
  node?: string;
  /** Lines kept per step. @default 1000 */
  maxLogLinesPerStep?: number;
  /** Re-run unfinished executions found in the store at start. @default true */
  rehydrate?: boolean;
  /** Serve the command API on `stator.api.*` over the bus. @default true */
  busApi?: boolean;
  /** On close, how long runs in progress may take to finish before they are abandoned. @default 10000 */
  shutdownGraceMs?: number;
  /** `POST /hooks/<path>` settings (Idempotency-Key retention). */
  webhooks?: WebhookOptions;
  /** The monitor: recent events kept for resumes; in cluster mode, the event stream it reads. */
  monitor?: MonitorHubOptions;
  /** Cron schedules; croner's timers when absent (tests pass a simulated one). */
  scheduler?: Scheduler;
  /**
   * Token buckets of state-changing commands, per client and per session (the clock is the
   * service's). @default { ratePerSecond: 10, burst: 20, maxBuckets: 10000 }
   */
  rateLimit?: Omit<RateLimiterOptions, 'clock'>;
  /** Sessions this process holds; one more is refused with a conflict (409). @default 50 */
  maxSessions?: number;
  /**
   * History kept of finished executions, pruned in the background (retention.ts).
   * @default { keep: "30d", intervalMs: 600000, firstPassDelayMs: 60000, batchSize: 500 }
   */
  retention?: RetentionOptions;
  /**
   * Step artifacts (src/artifacts/): bounds, and where they are kept. Without `store`: files
   * under `<dataDir>/artifacts`, or the deployment's JetStream object store in cluster mode.
   * @default { maxFileBytes: 52428800, maxRunBytes: 209715200, replicas: 1 }
   */
  artifacts?: Partial<ArtifactLimits> & { store?: ArtifactStore; replicas?: number };
  /** Per-host circuit breakers of http steps. @default { failures: 5, coolDownMs: 30000 } */
  circuitBreaker?: CircuitBreakerOptions;
  /** Other session settings (ring buffer, kill grace, quiet time); `maxSessions` above wins. */
  sessions?: SessionManagerOptions;
  /**
   * Variables of this process that steps and sessions get besides PATH, HOME, LANG, TZ, USER
   * and SHELL (`STATOR_STEP_ENV_PASSTHROUGH`); nothing else of this environment reaches them.
   * STATOR_* names are refused. @default []
   */
  stepEnvPassthrough?: string[];
  /**
   * The global policy every run is judged by at execute time, with the workflow's own `policy`
   * (src/plans; `STATOR_POLICY_FILE`). `null`: none. @default DEFAULT_GLOBAL_POLICY (deny critical)
   */
  policy?: Policy | null;
  /**
   * A Stately inspector's WebSocket (`ws://…` or `wss://…`, `STATOR_INSPECT`): every actor's
   * inspection events are streamed there for @statelyai/inspect. Off when unset.
   */
  inspect?: string;
  /**
   * Where resolved workflow secrets are registered; give the same to `createLogger({ redactor })`
   * so the service's own log masks them. A private one when absent.
   */
  secretRegistry?: SecretRegistry;
  /**
   * What `/health` asks besides the service itself: each names a dependency and says why it is
   * degraded, or nothing when it is fine (cluster mode: the NATS connection and the store).
   */
  healthChecks?: readonly HealthCheck[];
  /**
   * Cluster: JetStream for `nats: {subject, stream}` triggers (the connection and the deployment
   * prefix that names their durable consumers). Absent, such a trigger shows state `error`.
   */
  triggerStreams?: StreamTriggerSource;
  /**
   * Cluster: the lease bucket and TTL (`--lease-ttl`). Each running execution is leased by this
   * node; the runs of a node that died or shut down are taken over (leases/). Absent: no leases
   * (one process owns every run).
   */
  leases?: {
    kv: LeaseKv;
    ttlMs?: number;
    /** The store's hook that drops queued writes of what this node lost (cluster.ts). */
    dropQueuedWrites?: (lost: (owner: WriteOwner) => boolean) => void;
  };
  /**
   * Cluster: the flow bucket (`connectCluster()`): per-key `runConcurrency`, `rateLimit` and
   * `debounce` are shared by the nodes (flow/). Absent in cluster mode: not enforced.
   */
  flowKv?: FlowKv;
}

/** Options after defaults and validation. */
export interface ResolvedStatorOptions {
  dataDir: string;
  store: 'sqlite' | 'memory' | Store;
  bus?: Bus;
  workQueue?: WorkQueue;
  /** Resolved once here; the composition root passes it on in `Deps`. */
  topology: Topology;
  runner?: ProcessRunner;
  processHost: boolean;
  clock?: Clock;
  logger?: Logger;
  engines: number;
  slotsPerEngine: number;
  queueLimit: number;
  idempotencyRetentionMs: number;
  killGraceMs: number;
  node: string;
  maxLogLinesPerStep: number;
  rehydrate: boolean;
  busApi: boolean;
  shutdownGraceMs: number;
  sqlitePath: string;
  webhooks?: WebhookOptions;
  monitor?: MonitorHubOptions;
  scheduler?: Scheduler;
  rateLimit?: Omit<RateLimiterOptions, 'clock'>;
  maxSessions: number;
  retention: ResolvedRetentionOptions;
  artifacts: ArtifactLimits & { store?: ArtifactStore; replicas: number };
  circuitBreaker: ResolvedCircuitBreakerOptions;
  sessions?: SessionManagerOptions;
  stepEnvPassthrough: readonly string[];
  policy: Policy | null;
  inspect?: string;
  secretRegistry?: SecretRegistry;
  healthChecks: readonly HealthCheck[];
  triggerStreams?: StreamTriggerSource;
  leases?: {
    kv: LeaseKv;
    options: ResolvedLeaseOptions;
    dropQueuedWrites?: (lost: (owner: WriteOwner) => boolean) => void;
  };
  flowKv?: FlowKv;
}

const numbers = z.object({
  engines: z.number().int().min(1).max(64).default(DEFAULT_ENGINES),
  slotsPerEngine: z.number().int().min(1).max(4096).default(DEFAULT_SLOTS_PER_ENGINE),
  queueLimit: z.number().int().min(1).default(DEFAULT_QUEUE_LIMIT),
  idempotencyRetentionMs: z
    .number()
    .int()
    .min(1)
    .max(MAX_EXECUTE_IDEMPOTENCY_RETENTION_MS)
    .default(DEFAULT_EXECUTE_IDEMPOTENCY_RETENTION_MS),
  killGraceMs: z.number().int().min(0).default(DEFAULT_KILL_GRACE_MS),
  maxLogLinesPerStep: z.number().int().min(1).default(1000),
  shutdownGraceMs: z.number().int().min(0).default(DEFAULT_SHUTDOWN_GRACE_MS),
  maxSessions: z.number().int().min(1).max(100_000).default(DEFAULT_MAX_SESSIONS),
});

/** Merges defaults, validates once, and names the offending field on error. */
export function resolveStatorOptions(input: StatorOptions = {}): ResolvedStatorOptions {
  const parsed = numbers.safeParse({
    engines: input.engines,
    slotsPerEngine: input.slotsPerEngine,
    queueLimit: input.queueLimit,
    idempotencyRetentionMs: input.idempotencyRetentionMs,
    killGraceMs: input.killGraceMs,
    maxLogLinesPerStep: input.maxLogLinesPerStep,
    shutdownGraceMs: input.shutdownGraceMs,
    maxSessions: input.maxSessions ?? input.sessions?.maxSessions,
  });
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const dataDir = input.dataDir ?? DEFAULT_DATA_DIR;
  const node = input.node ?? `${hostname()}-${process.pid}`;
  return {
    ...parsed.data,
    dataDir,
    store: input.store ?? 'sqlite',
    bus: input.bus,
    workQueue: input.workQueue,
    topology: resolveTopology({ ...input, node }),
    runner: input.runner,
    // A data directory of our own: the SQLite store's, or a leased cluster node's (which keeps
    // its host on a leash, leases/host-leash.ts).
    processHost:
      (input.processHost ?? true) &&
      input.runner === undefined &&
      ((input.store ?? 'sqlite') === 'sqlite' ||
        (input.leases !== undefined && input.dataDir !== undefined)),
    clock: input.clock,
    logger: input.logger,
    node,
    rehydrate: input.rehydrate ?? true,
    busApi: input.busApi ?? true,
    webhooks: input.webhooks,
    monitor: input.monitor,
    scheduler: input.scheduler,
    sessions: input.sessions,
    stepEnvPassthrough: resolvePassthrough(input.stepEnvPassthrough),
    policy: input.policy === undefined ? DEFAULT_GLOBAL_POLICY : input.policy,
    ...(input.inspect !== undefined && { inspect: input.inspect }),
    secretRegistry: input.secretRegistry,
    healthChecks: input.healthChecks ?? [],
    triggerStreams: input.triggerStreams,
    rateLimit: input.rateLimit,
    sqlitePath: join(dataDir, 'stator.db'),
    retention: resolveRetentionOptions(input.retention),
    artifacts: resolveArtifactOptions(input.artifacts),
    circuitBreaker: resolveCircuitBreakerOptions(input.circuitBreaker),
    ...(input.flowKv && { flowKv: input.flowKv }),
    ...(input.leases && {
      leases: {
        kv: input.leases.kv,
        options: resolveLeaseOptions({ ttlMs: input.leases.ttlMs }),
        ...(input.leases.dropQueuedWrites && { dropQueuedWrites: input.leases.dropQueuedWrites }),
      },
    }),
  };
}

/** The passthrough names, deduplicated; InvalidArgumentError naming each bad one. */
function resolvePassthrough(names: readonly string[] = []): readonly string[] {
  const issues = names.flatMap((name, i) => {
    const message = passthroughNameProblem(name);
    return message === undefined ? [] : [{ path: `stepEnvPassthrough.${i}`, message }];
  });
  if (issues.length > 0) throw InvalidArgumentError.format(issues);
  return Object.freeze([...new Set(names)]);
}

/** Artifact bounds with defaults; InvalidArgumentError naming a bad one. */
function resolveArtifactOptions(
  input: StatorOptions['artifacts'] = {},
): ResolvedStatorOptions['artifacts'] {
  const out = {
    maxFileBytes: input.maxFileBytes ?? DEFAULT_ARTIFACT_MAX_FILE_BYTES,
    maxRunBytes: input.maxRunBytes ?? DEFAULT_ARTIFACT_MAX_RUN_BYTES,
    replicas: input.replicas ?? 1,
    ...(input.store && { store: input.store }),
  };
  const issues = (['maxFileBytes', 'maxRunBytes'] as const)
    .filter((k) => !Number.isSafeInteger(out[k]) || out[k] < 1)
    .map((k) => ({ path: `artifacts.${k}`, message: 'must be a positive integer' }));
  if (issues.length > 0) throw InvalidArgumentError.format(issues);
  return out;
}

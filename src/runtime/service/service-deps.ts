/**
 * What the service is built from: everything the composition root (create-stator.ts) creates,
 * the seams and the topology (`Deps`, ../deps.ts) first.
 * Only the wiring (service-parts.ts) and the facade see all of it; each part gets a context
 * listing what it uses.
 * @module
 */
import type { LiveActors } from '../actors/index.ts';
import type { RateLimiter } from '../../commands/index.ts';
import type { HostClient } from '../../host/index.ts';
import type { StatorMetrics } from '../../metrics/index.ts';
import type { MonitorHub } from '../../monitor/index.ts';
import type { SessionManager } from '../../sessions/index.ts';
import type { ExecutionRecord } from '../../store/index.ts';
import type { TriggerRegistry, Webhooks } from '../../triggers/index.ts';
import type { Deps } from '../deps.ts';
import type { Dispatcher } from '../dispatcher.ts';
import type { EventPipeline } from '../event-pipeline.ts';
import type { ExecutionRecorder } from '../execution-recorder.ts';
import type { LiveExecutions } from '../live-executions.ts';
import type { ResolvedStatorOptions } from '../options.ts';
import type { Engine } from './engines.ts';
import type { ArtifactStore } from '../../artifacts/index.ts';
import type { Approvals } from '../approvals/index.ts';
import type { OwnedExecutions } from './owned-executions.ts';
import type { Retention } from '../retention.ts';

/** Everything the service uses, built by the composition root: the seams (`Deps`) and more. */
export interface ServiceDeps extends Deps {
  opts: ResolvedStatorOptions;
  /**
   * The data directory's process host (embedded mode), which holds the step and session
   * processes; on close the service leaves running ones to it instead of stopping them.
   */
  host?: HostClient;
  executions: LiveExecutions;
  recorder: ExecutionRecorder;
  pipeline: EventPipeline;
  monitor: MonitorHub;
  dispatcher: Dispatcher;
  /** One actor per declared trigger (cron, http, nats). */
  triggers: TriggerRegistry;
  /** `POST /hooks/<path>` triggers. */
  webhooks: Webhooks;
  /** This instance's Prometheus metrics. */
  metrics: StatorMetrics;
  /** Token buckets of state-changing commands (checked by the command layer's dispatch). */
  rateLimiter?: RateLimiter;
  /** The sessions of this process. */
  sessions: SessionManager;
  /** The live actors of the service (every node's in cluster mode). */
  actors: LiveActors;
  /** The pruner of finished executions (its status is shown by health). */
  retention?: Retention;
  /** What an inbound route returns to stay silent (see actor-router.ts). */
  notMine: symbol;
  /** Executions adopting or live here, whose inbound subject this process subscribes. */
  ownedExecutions: OwnedExecutions;
  /** Decides and lists approvals (approvals/). */
  approvals: Approvals;
  /** Where step artifacts are kept (downloads read them). */
  artifacts: ArtifactStore;
  /** Records created here and not yet adopted (see adopt-execution.ts). */
  created: Map<string, ExecutionRecord>;
  engines: Engine[];
  /** Stops taking requests from the bus (first step of a shutdown). */
  stopIntake: () => void;
  /** Releases what the root created (routes, owned bus and store). */
  close: () => Promise<void>;
}

/**
 * The composition root: builds the seams (store, bus, runner, clock, logger) from options,
 * supplies every machine's implementations with `.provide()`, starts the engines and the
 * monitor, routes inbound subjects, rehydrates unfinished runs, and returns the service.
 * @module
 */
import { createActor, type Actor } from 'xstate';
import pino from 'pino';
import { stepMachine } from '../../machines/step.machine.ts';
import { executionMachine } from '../../machines/execution.machine.ts';
import { engineMachine } from '../../machines/engine.machine.ts';
import { createMemoryBus, natsConnectionOf } from '../bus/index.ts';
import type { CallDeps } from './calls/index.ts';
import type { Bus } from '../bus/types.ts';
import { createMemoryStore, createSqliteStore } from '../store/index.ts';
import { FINAL_EXECUTION_STATUSES, type Store } from '../store/index.ts';
import { join } from 'node:path';
import { baseEnvironment, createExecaRunner, createPidRegistry } from '../exec/index.ts';
import { SecretRegistry, createSecretResolver } from '../secrets/index.ts';
import { every, systemClock } from '../clock.ts';
import { connectHost, reconnectingHost, type HostClient } from '../host/index.ts';
import { MonitorHub } from '../monitor/index.ts';
import { resolveStatorOptions, type StatorOptions } from './options.ts';
import { ExecutionRecorder } from './execution-recorder.ts';
import { EventPipeline } from './event-pipeline.ts';
import { LiveExecutions } from './live-executions.ts';
import { passTurn } from './pass-turn.ts';
import { createAttemptActor, stepProcessKey } from './attempt-actor.ts';
import { createConditionActor } from './condition-actor.ts';
import { createForEachActor } from './for-each-actor.ts';
import {
  ActorDirectory,
  clusterActors,
  connectStatelyInspector,
  localActors,
} from './actors/index.ts';
import { createExecutionActor } from './execution-actor.ts';
import { Dispatcher } from './dispatcher.ts';
import { LeaseFence, LeaseManager, LostLeases } from './leases/index.ts';
import { keepHostOnLeash, lockNodeDataDir, stopStaleProcesses } from './leases/host-leash.ts';
import { MemoryWorkQueue } from './work-queue/index.ts';
import { NOT_MINE, createActorRouter } from './actor-router.ts';
import { OwnedExecutions } from './service/owned-executions.ts';
import { StatorService, type Engine } from './stator-service.ts';
import { adoptExecution } from './adopt-execution.ts';
import { sweepHeldSteps } from './held-steps.ts';
import {
  ApprovalGates,
  Approvals,
  type DecisionDeps,
  type DecisionRequest,
} from './approvals/index.ts';
import { TriggerRegistry, createCronerScheduler } from '../triggers/index.ts';
import { Webhooks } from '../triggers/index.ts';
import { StatorMetrics } from '../metrics/index.ts';
import { startBusApi } from '../api/index.ts';
import { RateLimiter } from '../commands/index.ts';
import { createSessionManager, type SessionInbound } from '../sessions/index.ts';
import type { ExecutionRecord } from '../store/index.ts';
import type { Stator } from './types.ts';
import { Retention } from './retention.ts';
import {
  ArtifactCollector,
  createFsArtifactStore,
  createObjectArtifactStore,
  type ArtifactStore,
} from '../artifacts/index.ts';
import { sweepArtifacts } from './artifact-sweep.ts';
import { CircuitBreakers } from './calls/index.ts';
import type { Deps } from './deps.ts';
import { ConflictError } from '../errors.ts';
import { ClusterFlowGate, MemoryFlowGate, type FlowReady, type FlowWait } from './flow/index.ts';

/** Version reported to service discovery. */
const VERSION = '0.1.0';

/** Step events after which an attempt's process is never looked at again. */
const SETTLES_ATTEMPT: ReadonlySet<string> = new Set([
  'step.completed',
  'step.failed',
  'step.timed_out',
  'step.cancelled',
  'step.retrying',
  'step.interrupted',
]);

/** How often the actor directory drops actors stopped without a last event. */
const ACTOR_SWEEP_MS = 30_000;

/** How often running work tells a cluster queue it is still being worked on. */
const LEASE_TOUCH_MS = 10_000;

/** Creates and starts the service. */
export async function createStator(options: StatorOptions = {}): Promise<Stator> {
  const opts = resolveStatorOptions(options);
  const logger = opts.logger ?? pino({ level: 'silent' });
  const clock = opts.clock ?? systemClock;
  // Built first: bad limits are refused before anything starts.
  const rateLimiter = new RateLimiter({ ...opts.rateLimit, clock });
  const ownsStore = typeof opts.store === 'string';
  const store: Store =
    opts.store === 'memory'
      ? createMemoryStore({ maxLogLinesPerStep: opts.maxLogLinesPerStep })
      : opts.store === 'sqlite'
        ? createSqliteStore({ path: opts.sqlitePath, maxLogLinesPerStep: opts.maxLogLinesPerStep })
        : opts.store;
  const ownsBus = !opts.bus;
  const bus: Bus = opts.bus ?? createMemoryBus();
  // With a data directory of our own, processes are spawned by its process host, which outlives
  // this process: a restart re-attaches to them. Connecting reaps what a dead host left first.
  // A host that dies while this process runs is replaced (its processes reaped and reported
  // lost); runs going through it re-attach to the new one.
  // A cluster node stops whatever its data directory's host holds at start: one node per dir.
  const nodeLock =
    opts.processHost && opts.leases ? await lockNodeDataDir(opts.dataDir) : undefined;
  const openHost = () => connectHost({ dataDir: opts.dataDir, killGraceMs: opts.killGraceMs });
  const host = opts.processHost ? reconnectingHost(await openHost(), openHost, logger) : undefined;
  if (host?.reaped && (host.reaped.killed.length > 0 || host.reaped.lost.length > 0)) {
    logger.warn(
      { killed: host.reaped.killed.length, lost: host.reaped.lost.length },
      'the process host had died: killed what it left running',
    );
  }
  // Steps and sessions start from this, never from this process's environment (read once).
  const baseEnv = baseEnvironment(opts.stepEnvPassthrough);
  const secrets = createSecretResolver({ registry: opts.secretRegistry ?? new SecretRegistry() });
  const runner =
    opts.runner ??
    host ??
    createExecaRunner({ killGraceMs: opts.killGraceMs, maxLineLength: 8192 });
  const queue = opts.workQueue ?? new MemoryWorkQueue(opts.queueLimit);
  // The seams, once, with the topology resolved from the options (topology.ts): every part
  // below reads the mode from here, never from a seam's kind.
  const deps: Deps = {
    topology: opts.topology,
    bus,
    store,
    queue,
    runner,
    clock,
    scheduler: opts.scheduler ?? createCronerScheduler(),
    logger,
  };
  const { topology } = deps;

  const releaseProcess = host
    ? (key: string) => void host.release(key).catch(() => undefined)
    : undefined;

  // With a data directory of our own, leftovers of a crashed previous process that ran steps as
  // its own children (no host, or a version before the host) are killed before anything runs.
  const pids = opts.store === 'sqlite' ? createPidRegistry(join(opts.dataDir, 'pids')) : undefined;
  const reaped = pids?.reapStale() ?? 0;
  if (reaped > 0) logger.warn({ reaped }, 'killed process groups left by a previous process');

  // A run's waiters wake once its final events reached the in-process subscribers.
  // Every actor's inbound subject is subscribed here only while its actor lives here.
  const router = createActorRouter(
    bus,
    {
      execution: (id, event) =>
        event.type === 'cancel'
          ? service.cancelOwned(id, event.reason as string | undefined)
          : event.type === 'pause' || event.type === 'resume'
            ? service.setPausedOwned(id, {
                pause: event.type === 'pause',
                ...(typeof event.by === 'string' && { by: event.by }),
              })
            : approvals.decideOwned(id, decisionOf(event)),
      engine: (id, event) => service.engineCommand(id, event),
      trigger: (id, event, msg) => service.triggerInbound(id, event, msg?.reply),
      session: (id, event) => sessions.inbound(id, event as SessionInbound),
    },
    logger,
    // Embedded, this process is the only one: it says `not_found` for actors nobody holds.
    { answerUnknown: topology.answerUnknown },
  );
  const ownedExecutions = new OwnedExecutions({
    own: (id) => router.own('execution', id),
    release: (id) => router.release('execution', id),
  });
  const executions = new LiveExecutions({
    delivered: () => monitor.delivered(),
    owners: ownedExecutions,
  });
  const created = new Map<string, ExecutionRecord>();
  const recorder = new ExecutionRecorder(store, clock);
  // Every live actor of this process, from XState's inspection events (GET /api/actors).
  const directory = new ActorDirectory(opts.node, () => clock.now());
  const track = directory.track.bind(directory);
  const closeInspector =
    opts.inspect === undefined
      ? undefined
      : await connectStatelyInspector(opts.inspect, directory, { logger, clock });
  const monitor = new MonitorHub(logger, { ...opts.monitor, clock, track });
  // Cluster mode: the monitor follows the event stream from its end before any event is published.
  await monitor.start();
  // Gauges are read at scrape time from the parts built below.
  const metrics = new StatorMetrics({
    activeExecutions: () => executions.size,
    queuedWork: () => queue.size(),
    slotsInUse: () => dispatcher.busy,
    slotsTotal: () => opts.engines * opts.slotsPerEngine,
    eventsDropped: () => monitor.stats().dropped,
  });
  const pipeline = new EventPipeline({
    bus,
    store,
    recorder,
    // The metrics tap sees every published event; it never drops (see metrics/stator-metrics.ts).
    sink: {
      publish: (event) => {
        // Stored: the host may forget the attempt's process (its outcome is in the record).
        if (
          releaseProcess &&
          SETTLES_ATTEMPT.has(event.type) &&
          'executionId' in event &&
          'stepId' in event &&
          'attempt' in event
        ) {
          releaseProcess(stepProcessKey(event.executionId, event.stepId, event.attempt));
        }
        metrics.observeEvent(event);
        triggers.observe(event);
        monitor.publish(event);
      },
    },
    clock,
    logger,
    onFinal: ({ executionId }) => {
      // Waiters get the final record from memory (before the recorder forgets it), not a read.
      executions.finish(executionId, () => recorder.record(executionId));
      recorder.forget(executionId);
      dispatcher.finished(executionId);
    },
  });

  const lostElsewhere = new LostLeases();
  // Cluster: every running execution is leased by this node (leases/). A run lost to another
  // node stops here without recording anything (its events are fenced off); the runs of a node
  // that died or shut down are claimed and resumed here.
  const leases = opts.leases
    ? new LeaseManager({
        kv: opts.leases.kv,
        options: opts.leases.options,
        clock,
        logger,
        node: opts.node,
        onLost: (lost) =>
          lost.forEach((l) => {
            lostElsewhere.add(l.kind, l.id);
            if (l.kind === 'execution') loseRun(l.id);
            else sessions.lose(l.id);
          }),
        onClaimed: (l) =>
          l.kind === 'execution' ? dispatcher.takeOver(l.id) : sessions.takeOver(l.id),
      })
    : undefined;
  // What this node lost stays lost for the outbox: its queued writes are never sent.
  opts.leases?.dropQueuedWrites?.((owner) => lostElsewhere.has(owner.kind, owner.id));
  const fenced = leases ? new LeaseFence(leases, pipeline, logger) : pipeline;
  if (leases) {
    opts.healthChecks = [...opts.healthChecks, { name: 'leases', problem: () => leases.problem() }];
  }
  const loseRun = (id: string): void => {
    const live = executions.get(id);
    dispatcher.lost(id);
    live?.lose?.(); // stops its actors, which kill its step processes
    executions.drop(id);
    recorder.forget(id);
  };

  // One actor per declared trigger (cron, http, nats); fires pass the workflow's overlap policy.
  const triggers = new TriggerRegistry({
    store,
    bus,
    clock,
    logger,
    scheduler: deps.scheduler,
    emit: (id, event) => pipeline.emit('trigger', id, event),
    execute: (id, input, o) => service.execute(id, input, o),
    cancel: (id, reason) => service.cancel(id, reason),
    cluster: topology.mode === 'cluster',
    track,
    metrics,
    ...(opts.triggerStreams && { streams: opts.triggerStreams }),
    inbox: {
      own: (id) => router.own('trigger', id),
      release: (id) => router.release('trigger', id),
    },
  });
  // Per-key flow control (flow/): in process in embedded mode, shared through the flow bucket
  // in cluster mode.
  const ready = (run: FlowReady): void => {
    const item = {
      executionId: run.executionId,
      workflowId: run.workflowId,
      ...(run.priority !== undefined && { priority: run.priority }),
    };
    // No longer waiting for its key; queued again, it starts when a slot takes it.
    store
      .updateExecution(run.executionId, { waiting: null })
      // Queued before: a token of its own, or a shared queue takes it for a duplicate.
      .then(() => queue.push(item, { overLimit: true, again: `flow-${clock.now()}` }))
      .catch((err: unknown) => {
        logger.error({ err, executionId: run.executionId }, 'could not queue a held run');
      });
  };
  // A debounced run absorbed by a later request of its key: cancelled, naming the later run.
  // Resolves once it is over (cancelled here, or already over); rejects when it may not be.
  const superseded = (id: string, into: string): Promise<void> =>
    service.cancel(id, `debounced into ${into}`, { reason: 'debounced', debouncedInto: into }).then(
      () => undefined,
      (err: unknown) => {
        if (err instanceof ConflictError) return;
        logger.warn({ err, executionId: id }, 'could not cancel a debounced run');
        throw err;
      },
    );
  const flow =
    topology.mode !== 'cluster'
      ? new MemoryFlowGate({ clock, ready, superseded })
      : opts.flowKv
        ? await ClusterFlowGate.open({
            kv: opts.flowKv,
            clock,
            logger,
            ready,
            superseded,
            runState: async (id) => {
              const r = await store.getExecution(id);
              return {
                over: !r || FINAL_EXECUTION_STATUSES.includes(r.status),
                started: r?.startedAt != null,
              };
            },
          })
        : undefined;
  const dispatcher = new Dispatcher({
    queue,
    logger,
    clock,
    ...(leases && { leases }),
    ...(flow && {
      flow,
      held: (id: string, waiting: FlowWait) => {
        store.updateExecution(id, { waiting }).catch((err: unknown) => {
          logger.warn({ err, executionId: id }, 'could not record why a run waits');
        });
      },
    }),
    // The run's inbound subject is subscribed before its record is read (owned-executions.ts).
    adopt: (id) =>
      ownedExecutions.adopt(id, () =>
        adoptExecution(
          {
            store,
            executions,
            recorder,
            pipeline,
            clock,
            created,
            durableProcesses: !!host && !leases,
          },
          id,
        ),
      ),
    forget: (id) => {
      executions.drop(id);
      recorder.forget(id);
    },
  });
  // Approval steps wait here; a decision is stored before it is answered (approvals/).
  const approvalGates = new ApprovalGates(clock);
  const decisions: DecisionDeps = {
    emit: (event) => fenced.emitExecution(event),
    settled: (id) => pipeline.settled(id),
    stored: (id, stepId) => recorder.step(id, stepId)?.approval,
  };
  const approvals = new Approvals({
    gates: approvalGates,
    decisions,
    executions,
    owned: ownedExecutions,
    bus,
    store,
    getExecution: (id) => service.getExecution(id),
    clock,
  });
  const nats = natsConnectionOf(bus);
  // Step artifacts: files under the data directory, or the deployment's object store.
  const artifactStore: ArtifactStore =
    opts.artifacts.store ??
    (topology.mode === 'cluster' && nats
      ? createObjectArtifactStore({
          nc: nats,
          bucket: bus.subjects.buckets.artifacts,
          replicas: opts.artifacts.replicas,
        })
      : createFsArtifactStore(join(opts.dataDir, 'artifacts')));
  const artifactCollector = new ArtifactCollector(artifactStore, opts.artifacts);
  // Steps without a process (http, nats, workflow, approval): see calls/.
  const callDeps: CallDeps = {
    breakers: new CircuitBreakers(clock, opts.circuitBreaker),
    approvals: { ...decisions, gates: approvalGates, clock },
    emit: (event) => fenced.emitExecution(event),
    settled: (id) => pipeline.settled(id),
    ...(nats && { nats }),
    childRuns: {
      execute: (workflowId, input, o) => service.execute(workflowId, input, o),
      waitFor: (id, o) => service.waitForExecution(id, o),
      cancel: (id, reason) => service.cancel(id, reason),
      parentOf: async (id) => (recorder.record(id) ?? (await store.getExecution(id)))?.parent,
      storedChild: (id, stepId) => recorder.step(id, stepId)?.childExecutionId,
      // Read a turn after the stop, once the step's own events are applied: a shutdown (the
      // pipeline frozen) or a run lost to another node (no longer recorded here) leaves the
      // step running, and its child goes on.
      attemptEnded: async (id, stepId, attempt) => {
        await new Promise((resolve) => setImmediate(resolve));
        const step = recorder.step(id, stepId);
        if (pipeline.frozen || step === undefined) return false;
        return step.status !== 'running' || step.attempts > attempt;
      },
      emit: (event) => fenced.emitExecution(event),
    },
  };
  const provided = executionMachine.provide({
    actors: {
      step: stepMachine.provide({
        actions: { passTurn },
        actors: {
          runAttempt: createAttemptActor({
            runner,
            clock,
            pipeline: fenced,
            // Cluster: an attempt starts only while the lease holds, once its start is stored.
            // The store may have been away meanwhile (the start waited in the outbox), and the
            // heartbeat with it: confirm again, waiting for a beat, rather than read a stale
            // standing as lost.
            ...(leases && {
              fence: async (id: string) =>
                (await leases.confirm(id)) &&
                (await pipeline.settled(id), await leases.confirm(id)),
            }),
            killGraceMs: opts.killGraceMs,
            executions: (id) => executions.get(id),
            // The host records its processes itself.
            pids: host ? undefined : pids,
            store,
            baseEnv,
            outputDir: join(opts.dataDir, 'outputs'),
            ...(releaseProcess && { release: releaseProcess }),
            calls: callDeps,
            artifacts: artifactCollector,
          }),
          checkCondition: createConditionActor({ executions: (id) => executions.get(id) }),
          expandItems: createForEachActor({ executions: (id) => executions.get(id) }),
        },
      }),
    },
  });
  const executionActor = createExecutionActor({
    machine: provided,
    track,
    executions,
    pipeline: fenced,
    store,
    clock,
    node: opts.node,
    logger,
    secrets,
    onAbandoned: (id) => {
      dispatcher.abandoned(id);
      executions.drop(id);
      recorder.forget(id);
    },
  });

  const closers: Array<() => void> = [];
  if (flow) closers.push(() => void flow.close());
  let unleash: (() => Promise<void>) | undefined;
  // Front doors closed first on shutdown, so another process takes requests while this drains.
  const intake: Array<() => void> = [];
  const engines: Engine[] = [];
  for (let i = 1; i <= opts.engines; i++) {
    const engineId = `${opts.node}-e${i}`.replace(/[^A-Za-z0-9_-]/g, '_');
    const actor: Actor<typeof engineMachine> = createActor(
      engineMachine.provide({ actors: { execution: executionActor as never } }),
      { input: { engineId, slots: opts.slotsPerEngine }, clock },
    );
    directory.track('engine', engineId, actor);
    actor.on('*', (event) => pipeline.emit('engine', engineId, event));
    actor.start();
    engines.push({ id: engineId, actor, slots: opts.slotsPerEngine });
    router.own('engine', engineId);
    dispatcher.addEngine(engineId, actor, opts.slotsPerEngine);
  }

  const webhooks = new Webhooks({
    store,
    clock,
    logger,
    options: opts.webhooks,
    // Through the trigger actors (pause, overlap policy); they count fires in the metrics.
    fire: ({ workflowId, trigger, input, executionId }) =>
      triggers.fireDeclared(workflowId, trigger.index, 'webhook', { input, executionId }),
    // An unset secret variable shows as the trigger's state `error` (secret_unavailable).
    reportFault: (triggerId, problem) => triggers.reportFault(triggerId, problem),
  });
  // Supervised long-lived processes; in a cluster, commands for another process's go to it.
  const sessions = createSessionManager({
    track,
    store,
    emit: (id, event) => pipeline.emit('session', id, event),
    clock,
    logger,
    node: opts.node,
    secrets, // the same registry: the server's log masks session secrets too
    ...(pids && { pids }),
    ...(host && { host }),
    ...(topology.mode === 'cluster' && { cluster: { bus } }),
    ...(leases && {
      leases: {
        acquire: (id: string) => leases.acquire(id, 'session'),
        release: (id: string) => leases.release(id, 'session'),
        confirm: (id: string) => leases.confirm(id, 'session'),
      },
    }),
    inbox: {
      own: (id) => router.own('session', id),
      release: (id) => router.release('session', id),
    },
    options: {
      ...opts.sessions,
      maxSessions: opts.maxSessions,
      envPassthrough: [...opts.stepEnvPassthrough],
    },
  });
  // Finished executions the retention setting no longer keeps are pruned in the background.
  const retention = new Retention(
    {
      store,
      clock,
      logger,
      afterPrune: async () => void (await sweepArtifacts(artifactStore, store)),
    },
    opts.retention,
  );
  const actors =
    topology.mode === 'cluster' ? clusterActors(directory, bus, clock) : localActors(directory);
  closers.push(
    actors.close,
    every(clock, ACTOR_SWEEP_MS, () => directory.sweep()),
  );
  if (closeInspector) closers.push(closeInspector);
  const service: StatorService = new StatorService({
    ...deps,
    actors,
    retention,
    triggers,
    webhooks,
    metrics,
    rateLimiter,
    sessions,
    opts,
    ...(host && { host }),
    executions,
    recorder,
    pipeline,
    monitor,
    dispatcher,
    engines,
    created,
    ownedExecutions,
    approvals,
    artifacts: artifactStore,
    notMine: NOT_MINE,
    stopIntake: () => {
      for (const stop of intake.splice(0)) stop();
    },
    close: async () => {
      // The runs are stopped here by now: another node claims their leases at once.
      await leases?.close({ handOver: true });
      pids?.close();
      await unleash?.();
      if (host) await releaseHost(host, opts.dataDir);
      await nodeLock?.();
      for (const close of closers) close();
      router.close();
      if (ownsBus) await bus.close();
      if (ownsStore) await store.close();
    },
  });
  // A cluster queue redelivers the work of a process that died; an in-process queue died
  // with its process, so the store's unfinished runs are queued again.
  if (opts.rehydrate && topology.requeueAtStart) await service.requeueUnfinished();
  if (host && leases) {
    // A cluster node never re-attaches: what the host holds is a previous incarnation's, whose
    // runs any node may claim. Stopped first, then the host is kept on a leash (host-leash.ts).
    await stopStaleProcesses(host, opts.killGraceMs, clock, logger);
    unleash = keepHostOnLeash(host, opts.leases!.options.ttlMs, clock, logger);
  } else if (host) {
    // Processes whose outcome is stored, or whose run ended while no server was up, let go.
    await sweepHeldSteps({ host, store, logger, clock, killGraceMs: opts.killGraceMs });
  }
  // Registered before any work is taken: every run started here is leased first.
  await leases?.start();
  queue.start(dispatcher);
  await service.activateTriggers();
  // Sessions whose process died with the previous server are reported crashed; autostart ones start.
  await sessions.restore();
  if (opts.busApi) {
    const api = startBusApi({
      bus,
      stator: service,
      logger,
      serviceId: opts.node,
      version: VERSION,
    });
    intake.push(() => api.close());
  }
  closers.push(every(clock, LEASE_TOUCH_MS, () => dispatcher.touchAll()));
  retention.start();
  closers.push(() => retention.stop());
  return service;
}

/** An `approve` or `reject` on a run's inbound subject, as a decision (validated by the router). */
function decisionOf(event: { type: string } & Record<string, unknown>): DecisionRequest {
  const { stepId, by, comment } = event as { stepId?: string; by?: string; comment?: string };
  return {
    approved: event.type === 'approve',
    ...(stepId !== undefined && { stepId }),
    ...(by !== undefined && { by }),
    ...(comment !== undefined && { comment }),
  };
}

/**
 * Lets go of the process host once the service has stopped: a host that holds nothing still
 * running is shut down (so tests and one-off runs leave no process behind); one that holds
 * running steps or sessions keeps them for the next start. The shutdown has ended this connection
 * already when it left processes to the host (so that no abort could reach it): ask on a new one.
 */
async function releaseHost(host: HostClient, dataDir: string): Promise<void> {
  host.close();
  let again: HostClient | undefined;
  try {
    again = await connectHost({ dataDir, startIfMissing: false, clientName: 'stator-release' });
    const held = await again.list();
    if (held.every((p) => p.state !== 'running')) await again.shutdown({ killProcesses: false });
  } catch {
    // No host answers (it exited when idle), or it went away meanwhile: nothing to release.
  } finally {
    again?.close();
  }
}

/**
 * One session in this process: the session machine with its implementations supplied (spawn and
 * stop the process), the process's reports turned into machine events, its output into
 * `session.stdout`/`session.stderr` events and the ring buffer, the machine's emitted events
 * handed to the pipeline, and its record written to the store after every change (one write in
 * flight; the latest state wins). The process is a child of this process, or, with a process
 * host, a launch held by the host (host-launches.ts), which a restarted server re-attaches to.
 * Every output line passes the session's secret masker (session-secrets.ts) first.
 * @module
 */
import { createActor, fromPromise, type Actor, type AnyActorRef, type Snapshot } from 'xstate';
import type { Logger } from 'pino';
import {
  sessionMachine,
  sessionStatusOf,
  type SessionMachineEvent,
  type SessionMachineInput,
  type SpawnResult,
} from '../../machines/session.machine.ts';
import type { Clock } from '../clock.ts';
import type { SessionEvent } from '../events.ts';
import type { PidRegistry } from '../exec/index.ts';
import type { HeldProcessInfo } from '../host/index.ts';
import type { SessionRecord } from '../store/index.ts';
import { ConflictError, TimeoutError, type SecretUnavailableError } from '../errors.ts';
import type { SecretResolver } from '../secrets/index.ts';
import { promptMatcher } from './attention.ts';
import { ChildLaunches } from './child-launches.ts';
import { HostLaunches, OFFSET_STORE_MS, type LaunchHost } from './host-launches.ts';
import { HostSessionProcess } from './host-session-process.ts';
import type { Launcher, LaunchSession } from './launch-session.ts';
import { OutputBuffer } from './output-buffer.ts';
import type { ResolvedSessionManagerOptions } from './options.ts';
import { recordAfter } from './record-update.ts';
import { RecordWriter } from './record-writer.ts';
import type { RunningProcess } from './session-process.ts';
import { recordView } from './session-list.ts';
import { SessionSecrets } from './session-secrets.ts';
import type { SessionLogLine, SessionStatus, SessionView } from './types.ts';

/** What a live session needs from its manager. */
export interface LiveSessionDeps {
  clock: Clock;
  logger: Logger;
  options: ResolvedSessionManagerOptions;
  emit(sessionId: string, event: SessionEvent): void;
  persist(record: SessionRecord): Promise<void>;
  /** Resolves the session's secrets at each launch (and registers them for the server's log). */
  secrets: SecretResolver;
  pids?: Pick<PidRegistry, 'record' | 'forget'>;
  /** The process host: launches are spawned by it and outlive this process. */
  host?: LaunchHost;
  /** Tells the live actor directory about the actor (GET /api/actors). */
  track?: (kind: string, id: string, actor: AnyActorRef) => void;
}

/** How `close` leaves the process. */
export interface LiveSessionCloseOptions {
  /**
   * End the process group (the default); else a process held by the host runs on, followed no
   * more, for the next server to re-attach. A child of this process is always ended.
   */
  stopProcess?: boolean;
  /** @default the kill grace of the options */
  graceMs?: number;
}

/** A session's actor, process and output. */
export class LiveSession {
  #actor: Actor<typeof sessionMachine>;
  readonly #machine: typeof sessionMachine;
  readonly #input: SessionMachineInput;
  readonly #buffer: OutputBuffer;
  readonly #isPrompt: (latest: string) => boolean;
  readonly #writer: RecordWriter;
  readonly #secrets: SessionSecrets;
  readonly #launcher: Launcher;
  /** The launcher when the process host runs the session's processes. */
  readonly #launches: HostLaunches | undefined;
  #record: SessionRecord;
  #process: RunningProcess | null = null;
  #closed = false;
  /** Restoring: the machine's first `created` is not news. */
  #quietCreated = false;
  /** The next spawn takes the stored launch the host holds instead of starting a new one. */
  #resumeLaunch = false;

  constructor(
    record: SessionRecord,
    private readonly deps: LiveSessionDeps,
  ) {
    this.#record = record;
    const { options } = deps;
    const def = record.definition;
    this.#buffer = new OutputBuffer(options.maxLogLines, options.maxLogBytes);
    this.#isPrompt = promptMatcher(def.attention?.prompt);
    this.#secrets = new SessionSecrets(def.secrets, deps.secrets);
    this.#machine = sessionMachine.provide({
      actors: {
        spawnProcess: fromPromise<SpawnResult, { sessionId: string }>(() => this.#spawn()),
        stopProcess: fromPromise<void, { sessionId: string; pid: number | null }>(async () => {
          await this.#process?.stop(options.killGraceMs);
        }),
      },
    });
    this.#input = {
      sessionId: record.id,
      restart: def.restart,
      maxRestarts: def.maxRestarts,
      restartWindowMs: def.restartWindowMs,
      backoffMs: def.backoffMs,
      backoffMaxMs: def.backoffMaxMs,
      quietMs: options.quietMs,
      ...(def.attention?.idleMs !== undefined && { idleMs: def.attention.idleMs }),
      restarts: record.restarts,
      restartTimes: record.recentRestarts.map((t) => Date.parse(t)),
    };
    this.#actor = this.#createActor();
    this.#writer = new RecordWriter({
      sessionId: record.id,
      logger: deps.logger,
      clock: deps.clock,
      read: () => ({
        ...this.#record,
        recentRestarts: this.#actor
          .getSnapshot()
          .context.restartTimes.map((t) => new Date(t).toISOString()),
      }),
      persist: deps.persist,
      stored: (r) => this.#launches?.stored(r),
    });
    const side = this.#side();
    this.#launches = deps.host && new HostLaunches(deps.host, options, deps.logger, side);
    this.#launcher = this.#launches ?? new ChildLaunches(options, side, deps.pids);
  }

  get id(): string {
    return this.#record.id;
  }

  /** The stored form (definition and last known state). */
  get record(): SessionRecord {
    return this.#record;
  }

  get status(): SessionStatus {
    return sessionStatusOf(this.#actor.getSnapshot().value);
  }

  /** The running process, if any. */
  get process(): RunningProcess | null {
    return this.#process;
  }

  /** Why the latest launch did not start, when one of its secrets was unavailable. */
  get secretFailure(): SecretUnavailableError | null {
    return this.#secrets.failure;
  }

  /** Starts the actor (in `created`); nothing runs until a `start`. */
  start(): void {
    this.#actor.start();
  }

  /** Starts the actor from the stored status: a live one means the process died with the server. */
  restore(): void {
    this.#startQuietly();
    const status = this.#record.status;
    if (status !== 'created') this.send({ type: 'restore', status, at: this.deps.clock.now() });
  }

  /**
   * Restores a session whose stored launch the host still holds (running, or ended while no
   * server followed it): the actor resumes in `running` with the stored pid, counters and
   * activity, and no status event. The output the previous server did not hand on follows, then
   * live output, then the exit if there was one, handled by the policy as if it had just
   * happened. A session stored as `stopping` is stopped again.
   */
  async reattach(info: HeldProcessInfo): Promise<void> {
    const activity = this.#record.activity ?? 'busy';
    const context = {
      ...this.#actor.getSnapshot().context,
      pid: info.pid,
      activity,
      stdinOpen: info.stdin === 'open',
    };
    this.#actor = this.#createActor(
      this.#machine.resolveState({ value: { running: activity }, context }),
    );
    this.#record = { ...this.#record, pid: info.pid };
    this.#actor.start();
    const attached = this.#launches!.reattach(info); // the process is this session's from now on
    // Stopping: stopped again before an exit that came meanwhile could look like a crash.
    const stopping = this.#record.status === 'stopping';
    if (stopping) this.send({ type: 'stop' });
    const prompt = this.#isPrompt(await attached);
    // A prompt written meanwhile awaits input; busy, the quiet timer starts again.
    if (!stopping && (prompt || activity === 'busy')) this.send({ type: 'output', prompt });
    this.#writer.touch();
  }

  /**
   * Restores a session stored as `starting` whose launch the host holds: it starts again and
   * takes the held process instead of spawning one.
   */
  resume(): void {
    this.#resumeLaunch = true;
    this.#startQuietly();
    this.send({ type: 'start' });
  }

  /**
   * Restores a session whose stored launch was lost (its host died with the server): what it
   * wrote that was not handed on yet is handed on, then the session is restored as usual
   * (`crashed`, and the policy applies).
   */
  async restoreLost(info: HeldProcessInfo): Promise<void> {
    await this.#launches!.replayLost(info);
    this.restore();
  }

  /** Ignored once the session is closed. */
  send(event: SessionMachineEvent): void {
    if (!this.#closed) this.#actor.send(event);
  }

  /** Replaces the record's definition fields that may change while it lives. */
  update(change: Partial<SessionRecord['definition']>): void {
    this.#record = {
      ...this.#record,
      definition: { ...this.#record.definition, ...change },
      updatedAt: new Date(this.deps.clock.now()).toISOString(),
    };
    this.#writer.touch();
  }

  /**
   * Writes input to the process; resolves with the session as the input left it. The machine
   * hears of it first: the answer may arrive before the write is confirmed, and must find the
   * session busy, not still awaiting input.
   */
  async write(text: string): Promise<SessionView> {
    const proc = this.#process;
    if (proc === null || !proc.stdinOpen) {
      throw new ConflictError(`session '${this.id}' does not read input (stdin is closed)`);
    }
    this.send({ type: 'input.sent' });
    const view = this.view();
    await proc.write(text);
    return view;
  }

  /** Buffered output with seq > since. */
  logs(since?: number, limit?: number): SessionLogLine[] {
    return this.#buffer.since(since, limit);
  }

  /** The session as the API shows it. */
  view(): SessionView {
    // The live record keeps changing: hand out a copy of its definition.
    return { ...recordView(this.#record), definition: structuredClone(this.#record.definition) };
  }

  /** Resolves once `pred(status)` holds; TimeoutError after `timeoutMs`. */
  waitFor(pred: (status: SessionStatus) => boolean, timeoutMs: number): Promise<void> {
    if (pred(this.status)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const { clock } = this.deps;
      const timer = clock.setTimeout(() => {
        sub.unsubscribe();
        reject(new TimeoutError(`session '${this.id}' is still ${this.status}`, { id: this.id }));
      }, timeoutMs);
      const sub = this.#actor.subscribe((snap) => {
        if (!pred(sessionStatusOf(snap.value))) return;
        clock.clearTimeout(timer);
        sub.unsubscribe();
        resolve();
      });
    });
  }

  /** Resolves once every change so far is stored. */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /**
   * Detaches the actor without recording what happens next: the stored state stays what it was.
   * By default the process group is ended too (SIGTERM, then SIGKILL after the grace period), so
   * the next start finds a session whose process died with the server; a process held by the
   * host may instead be left running (`stopProcess: false`), with how far its output was handed
   * on stored, so the next start re-attaches to it.
   */
  async close(options: LiveSessionCloseOptions = {}): Promise<void> {
    if (this.#closed) return;
    const proc = this.#process;
    const held = proc instanceof HostSessionProcess ? proc : null;
    const stop = options.stopProcess ?? true;
    if (held !== null && !stop) {
      await held.detach();
      this.#writer.touch(); // the last output offset
    }
    this.#closed = true;
    this.#writer.close();
    await this.flush();
    this.#actor.stop();
    this.#process = null;
    if (!stop && held !== null) return;
    await proc?.stop(options.graceMs ?? this.deps.options.killGraceMs).catch((err: unknown) => {
      this.deps.logger.error({ err, sessionId: this.id }, 'stopping a session process failed');
    });
    // Stopped without a record of it: the next start finds the launch gone (lost), as without a host.
    if (held !== null) await this.deps.host?.release(held.key).catch(() => undefined);
  }

  /** The host connection is gone: a held process is ended directly and its exit handled. */
  hostGone(): void {
    if (this.#process instanceof HostSessionProcess) this.#process.hostGone();
  }

  #createActor(snapshot?: Snapshot<unknown>): Actor<typeof sessionMachine> {
    const actor = createActor(this.#machine, {
      clock: this.deps.clock,
      input: this.#input,
      ...(snapshot !== undefined && { snapshot }),
    });
    this.deps.track?.('session', this.id, actor);
    actor.on('*', (event) => this.#onEmitted(event));
    return actor;
  }

  #startQuietly(): void {
    this.#quietCreated = true;
    this.#actor.start();
    this.#quietCreated = false;
  }

  #spawn(): Promise<SpawnResult> {
    const resume = this.#resumeLaunch;
    this.#resumeLaunch = false;
    return this.#launcher.spawn(resume);
  }

  /** The session as its launchers see it. */
  #side(): LaunchSession {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- getters of private state
    const self = this;
    return {
      id: this.id,
      get record() {
        return self.#record;
      },
      get status() {
        return self.status;
      },
      get closed() {
        return self.#closed;
      },
      get lastSeq() {
        return self.#buffer.lastSeq;
      },
      get process() {
        return self.#process;
      },
      set process(p) {
        self.#process = p;
      },
      secrets: this.#secrets,
      setLaunch: (launch, when) => {
        this.#record = { ...this.#record, hostProcess: launch };
        if (when === 'now') this.#writer.touch();
        else this.#writer.soon(OFFSET_STORE_MS);
      },
      flush: () => this.flush(),
      line: (stream, line, seq, news) => this.#line(stream, line, seq, news),
      isPrompt: (latest) => this.#isPrompt(latest),
      report: (event) => this.#actor.send(event),
      now: () => this.deps.clock.now(),
    };
  }

  /** A line into the ring (with its own seq, from the host) and, unless old news, an event. */
  #line(stream: 'stdout' | 'stderr', line: string, seq = 0, news = true): void {
    if (this.#closed) return;
    line = this.#secrets.mask(line);
    const ts = new Date(this.deps.clock.now()).toISOString();
    const entry = this.#buffer.push(stream, line, ts, seq);
    if (!news) return;
    this.deps.emit(this.id, {
      type: stream === 'stdout' ? 'session.stdout' : 'session.stderr',
      sessionId: this.id,
      logSeq: entry.seq,
      line,
    });
  }

  #onEmitted(event: SessionEvent): void {
    if (this.#quietCreated) return;
    this.#record = recordAfter(this.#record, event, new Date(this.deps.clock.now()).toISOString());
    this.deps.emit(this.id, event);
    this.#writer.touch();
    // Output a host launch wrote while it was starting found the machine deaf: tell it now.
    const proc = this.#process;
    if (event.type === 'session.status' && event.status === 'running') {
      if (proc instanceof HostSessionProcess && proc.latest !== '') {
        this.#actor.send({ type: 'output', prompt: this.#isPrompt(proc.latest) });
      }
    }
  }
}

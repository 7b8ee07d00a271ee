/**
 * One session in this process: the session machine with its implementations supplied (spawn and
 * stop the process), the process's reports turned into machine events, its output into
 * `session.stdout`/`session.stderr` events and the ring buffer, the machine's emitted events
 * handed to the pipeline, and its record written to the store after every change (one write in
 * flight; the latest state wins).
 * @module
 */
import { createActor, fromPromise, type Actor } from 'xstate';
import type { Logger } from 'pino';
import {
  sessionMachine,
  sessionStatusOf,
  type SessionMachineEvent,
  type SpawnResult,
} from '../../machines/session.machine.ts';
import type { Clock } from '../clock.ts';
import type { SessionEvent } from '../events.ts';
import type { PidRegistry } from '../exec/index.ts';
import type { SessionRecord } from '../store/index.ts';
import { ConflictError, TimeoutError } from '../errors.ts';
import { promptMatcher } from './attention.ts';
import { OutputBuffer } from './output-buffer.ts';
import type { ResolvedSessionManagerOptions } from './options.ts';
import { SessionProcess, type SessionLaunch } from './session-process.ts';
import { recordView } from './session-list.ts';
import type { SessionLogLine, SessionStatus, SessionView } from './types.ts';

/** What a live session needs from its manager. */
export interface LiveSessionDeps {
  clock: Clock;
  logger: Logger;
  options: ResolvedSessionManagerOptions;
  emit(sessionId: string, event: SessionEvent): void;
  persist(record: SessionRecord): Promise<void>;
  pids?: Pick<PidRegistry, 'record' | 'forget'>;
}

/** A session's actor, process and output. */
export class LiveSession {
  readonly #actor: Actor<typeof sessionMachine>;
  readonly #buffer: OutputBuffer;
  readonly #isPrompt: (latest: string) => boolean;
  #record: SessionRecord;
  #process: SessionProcess | null = null;
  #closed = false;
  /** Restoring: the machine's first `created` is not news. */
  #quietCreated = false;
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;

  constructor(
    record: SessionRecord,
    private readonly deps: LiveSessionDeps,
  ) {
    this.#record = record;
    const { options } = deps;
    const def = record.definition;
    this.#buffer = new OutputBuffer(options.maxLogLines, options.maxLogBytes);
    this.#isPrompt = promptMatcher(def.attention?.prompt);
    const machine = sessionMachine.provide({
      actors: {
        spawnProcess: fromPromise<SpawnResult, { sessionId: string }>(() => this.#spawn()),
        stopProcess: fromPromise<void, { sessionId: string; pid: number | null }>(async () => {
          await this.#process?.stop(options.killGraceMs);
        }),
      },
    });
    this.#actor = createActor(machine, {
      clock: deps.clock,
      input: {
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
      },
    });
    this.#actor.on('*', (event) => this.#onEmitted(event));
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
  get process(): SessionProcess | null {
    return this.#process;
  }

  /** Starts the actor (in `created`); nothing runs until a `start`. */
  start(): void {
    this.#actor.start();
  }

  /** Starts the actor from the stored status: a live one means the process died with the server. */
  restore(): void {
    this.#quietCreated = true;
    this.#actor.start();
    this.#quietCreated = false;
    const status = this.#record.status;
    if (status !== 'created') this.send({ type: 'restore', status, at: this.deps.clock.now() });
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
    this.#touch();
  }

  /**
   * Writes input to the process. The machine hears of it first: the answer may arrive before
   * the write is confirmed, and must find the session busy, not still awaiting input.
   */
  async write(text: string): Promise<void> {
    const proc = this.#process;
    if (proc === null || !proc.stdinOpen) {
      throw new ConflictError(`session '${this.id}' does not read input (stdin is closed)`);
    }
    this.send({ type: 'input.sent' });
    await proc.write(text);
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
      const timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new TimeoutError(`session '${this.id}' is still ${this.status}`, { id: this.id }));
      }, timeoutMs);
      const sub = this.#actor.subscribe((snap) => {
        if (!pred(sessionStatusOf(snap.value))) return;
        clearTimeout(timer);
        sub.unsubscribe();
        resolve();
      });
    });
  }

  /** Resolves once every change so far is stored. */
  async flush(): Promise<void> {
    while (this.#dirty) await this.#writing;
    await this.#writing;
  }

  /**
   * Detaches the actor and ends the process group (SIGTERM, then SIGKILL after the grace period)
   * without recording it: the stored state stays what it was, so the next start finds a session
   * whose process died with the server.
   */
  async close(graceMs = this.deps.options.killGraceMs): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flush();
    this.#actor.stop();
    const proc = this.#process;
    this.#process = null;
    await proc?.stop(graceMs);
  }

  async #spawn(): Promise<SpawnResult> {
    const def = this.#record.definition;
    const { options, pids } = this.deps;
    const launch: SessionLaunch = {
      argv: def.command ?? ['sh', '-c', def.run ?? ''],
      env: {
        ...process.env,
        ...def.env,
        STATOR_SESSION_ID: this.id,
        STATOR_SESSION_NAME: def.name,
      },
      maxLineLength: options.maxLineLength,
      killGraceMs: options.killGraceMs,
      ...(def.cwd !== undefined && { cwd: def.cwd }),
      ...(pids !== undefined && { pids }),
    };
    try {
      let proc: SessionProcess | null = null;
      const mine = () => proc !== null && proc === this.#process && !this.#closed;
      proc = await SessionProcess.spawn(launch, {
        line: (stream, line) => this.#line(stream, line),
        output: (_stream, latest) => {
          if (mine()) this.#actor.send({ type: 'output', prompt: this.#isPrompt(latest) });
        },
        stdinClosed: () => {
          if (mine()) this.#actor.send({ type: 'stdin.closed' });
        },
        exit: (code, signal) => {
          if (!mine()) return;
          this.#process = null;
          this.#actor.send({ type: 'exited', code, signal, at: this.deps.clock.now() });
        },
      });
      if (this.#closed || this.status !== 'starting') {
        // Closed or stopped while spawning: the new process must not outlive that.
        await proc.kill();
        return { ok: false, error: 'stopped while starting', at: this.deps.clock.now() };
      }
      this.#process = proc;
      return { ok: true, pid: proc.pid };
    } catch (err) {
      return { ok: false, error: (err as Error).message, at: this.deps.clock.now() };
    }
  }

  #line(stream: 'stdout' | 'stderr', line: string): void {
    if (this.#closed) return;
    const ts = new Date(this.deps.clock.now()).toISOString();
    const entry = this.#buffer.push(stream, line, ts);
    this.deps.emit(this.id, {
      type: stream === 'stdout' ? 'session.stdout' : 'session.stderr',
      sessionId: this.id,
      logSeq: entry.seq,
      line,
    });
  }

  #onEmitted(event: SessionEvent): void {
    if (this.#quietCreated) return;
    const now = new Date(this.deps.clock.now()).toISOString();
    const r = { ...this.#record, updatedAt: now };
    if (event.type === 'session.status') {
      r.status = event.status;
      r.pid = event.pid;
      r.restarts = event.restarts;
      r.exitCode = event.exitCode;
      r.lastError = event.error;
      if (event.status === 'running') r.startedAt = now;
      if (event.status !== 'running') {
        r.activity = null;
        r.awaitingSince = null;
      }
    } else if (event.type === 'session.activity') {
      r.activity = event.activity;
      r.awaitingSince = event.activity === 'awaiting_input' ? now : null;
    }
    this.#record = r;
    this.deps.emit(this.id, event);
    this.#touch();
  }

  /** Schedules a write of the current record (coalesced: one in flight, then the latest). */
  #touch(): void {
    if (this.#closed) return;
    if (this.#dirty) return;
    this.#dirty = true;
    this.#writing = this.#writing.then(async () => {
      this.#dirty = false;
      const ctx = this.#actor.getSnapshot().context;
      const record: SessionRecord = {
        ...this.#record,
        recentRestarts: ctx.restartTimes.map((t) => new Date(t).toISOString()),
      };
      try {
        await this.deps.persist(record);
      } catch (err) {
        this.deps.logger.error({ err, sessionId: this.id }, 'storing session state failed');
      }
    });
  }
}

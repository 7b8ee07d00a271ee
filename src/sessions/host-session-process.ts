/**
 * The OS side of one session launch held by the process host (key `session:<id>:<n>`): spawned
 * with stdin piped and its group ended with its leader, or found again by a restarted server,
 * and followed from an offset of its output spool. Offsets number the launch's lines; the ones
 * below `handedOn` were handed to the events by an earlier server and are reported as `seen`
 * (they refill the log ring, but are not news). Lines, the latest output of each stream (the
 * unfinished last line counts, for prompts), the end of stdin and the exit reach the handlers in
 * the host's order.
 *
 * Stopping goes through the host (`cancel`: SIGTERM to the group, SIGKILL after the grace given
 * at spawn). When the host cannot be reached any more (its connection closed) the group is ended
 * directly and the exit reported: a process nobody can supervise must not live on.
 * @module
 */
import { ConflictError, UnavailableError } from '../errors.ts';
import { isProcessGroupAlive, processStartTime } from '../exec/index.ts';
import type {
  AttachHandlers,
  HeldProcessInfo,
  HostClient,
  HostSpawnSpec,
  OutputLine,
  OutputStream,
} from '../host/index.ts';
import { delay, endProcessGroup, KILL_CONFIRM_MS, type RunningProcess } from './session-process.ts';

/** The host calls a session process makes. */
export type SessionHost = Pick<
  HostClient,
  'spawn' | 'attach' | 'detach' | 'write' | 'cancel' | 'signal'
>;

/** What a held session process reports. Handlers must not throw. */
export interface HostSessionHandlers {
  /** A line and its offset; `seen` when an earlier server already handed it on. */
  line(stream: OutputStream, line: string, offset: number, seen: boolean): void;
  /** After new output: the latest output of the stream that wrote it. */
  output(stream: OutputStream, latest: string): void;
  /** Every line below offset `next` has been handed on. */
  progress(next: number): void;
  stdinClosed(): void;
  /** Once, after the last line; never for a process that did not start (see `spawn`). */
  exit(code: number | null, signal: string | null): void;
}

/** How a spawn through the host went. */
export type HostSpawnOutcome = { ok: true; pid: number } | { ok: false; error: string };

/** One launch of a session, held by the process host. */
export class HostSessionProcess implements RunningProcess {
  readonly key: string;
  readonly #host: SessionHost;
  readonly #handlers: HostSessionHandlers;
  readonly #handedOn: number;
  readonly #graceMs: number;
  #pid: number | null = null;
  /** The leader's start time (/proc), to tell a reused pid. */
  #startTime: string | null = null;
  #stdin: HeldProcessInfo['stdin'] = 'open';
  #stdinReported = false;
  /** The spawn or attach request; calls that need the process wait for it. */
  #request: Promise<unknown> = Promise.resolve();
  /** Found again: unfinished lines are old news until the attach answered with the current ones. */
  #quietPartials = false;
  /** Output arrived before the answer to the spawn or attach was handled (and is newer than it). */
  #outputSeen = false;
  #ended = false;
  #detached = false;
  #markEnded!: () => void;
  readonly #endedPromise = new Promise<void>((resolve) => (this.#markEnded = resolve));
  readonly #last = { stdout: '', stderr: '' };
  readonly #partial = { stdout: '', stderr: '' };
  /** The stream that wrote last. */
  #newest: OutputStream = 'stdout';

  constructor(
    host: SessionHost,
    key: string,
    opts: { handedOn: number; graceMs: number },
    handlers: HostSessionHandlers,
  ) {
    this.#host = host;
    this.key = key;
    this.#handedOn = opts.handedOn;
    this.#graceMs = opts.graceMs;
    this.#handlers = handlers;
  }

  /** The pid, which is also the process group id (0 until known). */
  get pid(): number {
    return this.#pid ?? 0;
  }

  get stdinOpen(): boolean {
    return this.#stdin === 'open' && !this.#ended;
  }

  /** The latest output (the unfinished last line, else the last line) of the newest stream. */
  get latest(): string {
    return this.#latest(this.#newest);
  }

  /** Resolves once the process ended (or was lost) and its exit was reported. */
  get ended(): Promise<void> {
    return this.#endedPromise;
  }

  /**
   * Spawns `spec` (or, when its key is held, takes the held process: a restarted server resuming
   * a launch) and follows it from `fromOffset`. Rejects when the host cannot be asked.
   */
  async spawn(spec: HostSpawnSpec, fromOffset: number): Promise<HostSpawnOutcome> {
    this.#quietPartials = fromOffset > 0 || this.#handedOn > 0;
    const request = this.#host.spawn(spec, this.#follow(fromOffset));
    this.#request = request;
    const r = await request;
    if (r.attach !== undefined) this.#answered(r.attach.partials);
    const info = r.process;
    const spawnError = info.exit?.spawnError ?? (info.pid === null ? 'not started' : null);
    if (spawnError !== null) {
      this.#end();
      return { ok: false, error: spawnError };
    }
    this.#took(info);
    return { ok: true, pid: info.pid! };
  }

  /** Follows a process an earlier server started (`known`, as the host listed it). */
  async attach(known: HeldProcessInfo, fromOffset: number): Promise<void> {
    this.#quietPartials = true;
    this.#took(known);
    const request = this.#host.attach(this.key, this.#follow(fromOffset));
    this.#request = request;
    const r = await request;
    this.#answered(r.partials);
    this.#took(r.process);
  }

  alive(): boolean {
    return this.#pid !== null && isProcessGroupAlive(this.#pid);
  }

  /** Writes to stdin through the host, which first ends an unfinished line (the prompt). */
  async write(text: string): Promise<void> {
    if (!this.stdinOpen) {
      throw new ConflictError('the session does not read input (stdin is closed)');
    }
    await this.#host.write(this.key, text);
  }

  /**
   * Cancels through the host (SIGTERM, SIGKILL after the grace given at spawn); resolves once the
   * exit was reported, or after `graceMs` and a confirmation period.
   */
  async stop(graceMs: number): Promise<void> {
    await this.#request.catch(() => undefined);
    if (this.#ended) return;
    try {
      await this.#host.cancel(this.key);
    } catch (err) {
      if (err instanceof UnavailableError) return this.#endDirectly(graceMs);
      throw err;
    }
    await Promise.race([this.#endedPromise, delay(graceMs + KILL_CONFIRM_MS)]);
  }

  /** Kills the whole group at once. */
  async kill(): Promise<void> {
    await this.#request.catch(() => undefined);
    if (this.#ended) return;
    try {
      await this.#host.signal(this.key, 'SIGKILL');
    } catch (err) {
      if (err instanceof UnavailableError) return this.#endDirectly(0);
      throw err;
    }
    await Promise.race([this.#endedPromise, delay(KILL_CONFIRM_MS)]);
  }

  /** Stops following; the process runs on in the host. Nothing is reported afterwards. */
  async detach(): Promise<void> {
    this.#detached = true;
    await this.#host.detach(this.key).catch(() => undefined);
  }

  /** The host connection is gone: end the group directly and report the exit. */
  hostGone(): void {
    if (!this.#ended && !this.#detached) void this.#endDirectly(this.#graceMs);
  }

  #follow(fromOffset: number): { fromOffset: number; partials: true; handlers: AttachHandlers } {
    return {
      fromOffset,
      partials: true,
      handlers: {
        output: (lines, offset) => this.#lines(lines, offset),
        partial: (stream, text) => this.#partialChanged(stream, text),
        stdinClosed: () => {
          this.#stdin = 'closed';
          this.#stdinReported = true;
          if (!this.#detached) this.#handlers.stdinClosed();
        },
        exit: (info) => {
          if (this.#ended) return;
          this.#end();
          if (this.#detached || info.exit?.spawnError != null || info.pid === null) return;
          // A lost process (the host died under it) was killed by the reaper, or found gone.
          const signal = info.exit === null ? 'SIGKILL' : info.exit.signal;
          this.#handlers.exit(info.exit?.exitCode ?? null, signal);
        },
      },
    };
  }

  #lines(lines: OutputLine[], offset: number): void {
    if (this.#detached) return;
    this.#outputSeen = true;
    let handedOn = false;
    let newest: OutputStream | undefined;
    for (let i = 0; i < lines.length; i++) {
      const [stream, line] = lines[i]!;
      // An unfinished line ended as it was (input answering a prompt) is no new output.
      const ended = this.#partial[stream] !== '' && line === this.#partial[stream];
      this.#last[stream] = line;
      this.#partial[stream] = '';
      this.#newest = stream;
      const seen = offset + i < this.#handedOn;
      if (!seen) handedOn = true;
      if (!seen && !ended) newest = stream;
      this.#handlers.line(stream, line, offset + i, seen);
    }
    if (newest !== undefined) this.#handlers.output(newest, this.#latest(newest));
    if (handedOn) this.#handlers.progress(offset + lines.length);
  }

  #partialChanged(stream: OutputStream, text: string): void {
    this.#outputSeen = true;
    if (this.#detached || text === this.#partial[stream]) return;
    this.#partial[stream] = text;
    if (text !== '') this.#newest = stream;
    if (!this.#quietPartials) this.#handlers.output(stream, this.#latest(stream));
  }

  /**
   * The attach answered with the unfinished lines of its time (unless output handled before the
   * answer is newer): changes from now on are news.
   */
  #answered(partials: { stdout: string; stderr: string }): void {
    this.#quietPartials = false;
    if (this.#outputSeen) return;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (partials[stream] !== '' && partials[stream] !== this.#partial[stream]) {
        this.#newest = stream;
      }
      this.#partial[stream] = partials[stream];
    }
  }

  #took(info: HeldProcessInfo): void {
    this.#pid = info.pid;
    this.#startTime = info.startTime;
    // Events handled before the answer are newer than it.
    if (!this.#stdinReported) this.#stdin = info.stdin;
  }

  #latest(stream: OutputStream): string {
    const text = this.#partial[stream] !== '' ? this.#partial[stream] : this.#last[stream];
    return text.replace(/\r$/, '');
  }

  async #endDirectly(graceMs: number): Promise<void> {
    const pid = this.#pid;
    // A leader still there must be ours (same start time); a gone leader's group id cannot be
    // reused while the group lives.
    const leader = pid === null ? undefined : processStartTime(pid);
    if (pid !== null && (leader === undefined || leader === (this.#startTime ?? leader))) {
      await endProcessGroup(pid, graceMs);
    }
    if (this.#ended) return;
    this.#end();
    if (!this.#detached) this.#handlers.exit(null, 'SIGKILL');
  }

  #end(): void {
    this.#ended = true;
    this.#markEnded();
  }
}

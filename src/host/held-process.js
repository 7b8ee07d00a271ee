// @ts-check
/**
 * One process held by the host, from spawn to its recorded exit.
 *
 * No window: the process is spawned with `STATOR_HOST_PROC=<tag>:<instance>:<seq>:<key>` in its
 * environment, and its journal record (pid = group id, start time, boot id) is written with one
 * synchronous write in the same tick as `spawn()` returns, before the host handles any other
 * event. The process may run a few microseconds before that write; if the host dies in between,
 * the reaper finds the process by its marker (see reap.js). Either way nothing runs unrecorded.
 *
 * Ending (as src/exec/process-run.ts). A deadline or a cancel sends SIGTERM to the group and
 * SIGKILL after the grace; the exit is recorded once no live member is left. When the leader
 * exits on its own the group is left alone (steps may start daemons) unless `endGroupOnExit`
 * (sessions), and output is read for at most `exitDrainMs` more.
 * @module
 */
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { ProcessOutput } from './process-output.js';
import { signalGroup, startTimeOf } from './proc.js';
import { MARKER_ENV, wireError } from './protocol.js';
import { ProcessEnd } from './process-end.js';

/**
 * @import { ChildProcess } from 'node:child_process'
 * @import { ExitInfo, HeldProcessInfo, HeldState, HostSpawnSpec, HostSignal, JournalEntry,
 *   JournalRecord, LostInfo, OutputLine, OutputStream } from './protocol-types.ts'
 * @import { Journal } from './journal.js'
 * @import { GroupWatcher } from './group-watcher.js'
 * @import { Spool } from './spool.js'
 */

/**
 * What every held process shares.
 * @typedef {object} ProcessContext
 * @property {Journal} journal
 * @property {GroupWatcher} groups
 * @property {string} spoolDir
 * @property {string} tag
 * @property {string} instance
 * @property {string | null} boot
 * @property {() => number} nextSeq
 * @property {(proc: HeldProcess) => void} ended called once the exit is recorded
 * @property {(proc: HeldProcess) => void} forget releases a `releaseOnExit` process
 * @property {{ killGraceMs: number; maxLineLength: number; spoolBytes: number;
 *   exitDrainMs: number; shell: string }} defaults
 */

/**
 * Who follows a process (an attachment of a client).
 * @typedef {object} Subscriber
 * @property {(offset: number, lines: OutputLine[]) => void} lines
 * @property {(stream: OutputStream, text: string) => void} partial
 * @property {() => void} exited
 * @property {() => void} stdinClosed
 * @property {() => void} released
 * @property {boolean} owesExit true while it has not delivered the exit it will deliver
 * @property {boolean} lagging true while its live lines wait for its socket to drain
 */

/** A process the host holds. */
export class HeldProcess {
  /** @type {HeldState} */
  state = 'running';
  /** @type {number | null} */
  pid = null;
  /** @type {string | null} */
  startTime = null;
  startedAt = Date.now();
  /** @type {ExitInfo | null} */
  exit = null;
  /** @type {LostInfo | null} */
  lost = null;
  /** @type {Set<Subscriber>} */
  subscribers = new Set();
  #spec;
  #ctx;
  #output;
  /** @type {'open' | 'closed' | 'none'} */
  #stdin = 'none';
  /** @type {ChildProcess | null} */
  #child = null;
  /** @type {ProcessEnd | null} */
  #end = null;
  #instance;
  #seq = 0;
  #releaseOnExit;
  /** Stopped by the leash: its end is recorded as `lost`, not as an exit. */
  #abandoned = false;

  /**
   * @param {HostSpawnSpec} spec
   * @param {ProcessContext} ctx
   * @param {Spool} [recovered]
   * @param {boolean} [releaseOnExit]
   */
  constructor(spec, ctx, recovered, releaseOnExit = false) {
    this.key = spec.key;
    this.#releaseOnExit = releaseOnExit;
    this.#spec = spec;
    this.#ctx = ctx;
    this.#instance = ctx.instance;
    const o = {
      spoolDir: ctx.spoolDir,
      key: spec.key,
      spoolBytes: spec.spoolBytes ?? ctx.defaults.spoolBytes,
      maxLineLength: spec.maxLineLength ?? ctx.defaults.maxLineLength,
    };
    this.#output = new ProcessOutput(
      o,
      {
        lines: (offset, lines) => this.#each((s) => s.lines(offset, lines)),
        partial: (stream, text) => this.#each((s) => s.partial(stream, text)),
      },
      recovered,
    );
  }

  /**
   * A process a previous host recorded as ended or lost, with its spool.
   * @param {JournalEntry} entry
   * @param {ProcessContext} ctx
   * @param {Spool} spool
   */
  static adopt(entry, ctx, spool) {
    const p = new HeldProcess({ key: entry.key, cwd: '/', env: {}, argv: ['?'] }, ctx, spool);
    p.state = entry.state === 'running' ? 'lost' : entry.state;
    p.pid = entry.pid;
    p.startTime = entry.startTime;
    p.startedAt = entry.startedAt;
    p.exit = entry.exit;
    p.lost = entry.lost ?? (p.state === 'lost' ? { killed: false, at: Date.now() } : null);
    p.#instance = entry.instance ?? ctx.instance;
    p.#seq = entry.seq;
    p.#spec = { ...p.#spec, deadlineAt: entry.deadlineAt ?? undefined };
    return p;
  }

  /** Starts the process; resolves once it runs or has failed to start (then it is `exited`). */
  start() {
    const spec = this.#spec;
    const argv = spec.argv ?? [spec.shell ?? this.#ctx.defaults.shell, '-c', spec.script ?? ''];
    this.#seq = this.#ctx.nextSeq();
    const marker = `${this.#ctx.tag}:${this.#instance}:${this.#seq}:${spec.key}`;
    const t0 = performance.now();
    /** @type {ChildProcess} */
    let child;
    try {
      child = spawn(/** @type {string} */ (argv[0]), argv.slice(1), {
        cwd: spec.cwd,
        env: { ...spec.env, [MARKER_ENV]: marker },
        stdio: [spec.stdin === 'pipe' ? 'pipe' : 'ignore', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (err) {
      this.#failed(/** @type {Error} */ (err), t0);
      return Promise.resolve();
    }
    if (child.pid === undefined) {
      // ENOENT, EACCES, bad cwd: 'error' comes next tick; 'close' once the handles are released.
      return new Promise((resolve) => {
        const closed = new Promise((r) => child.once('close', r));
        child.once('error', (err) => {
          void closed.then(() => {
            this.#failed(err, t0);
            resolve(undefined);
          });
        });
      });
    }
    this.pid = child.pid;
    this.startTime = startTimeOf(child.pid);
    this.#ctx.journal.append(this.#record());
    this.#child = child;
    this.#watch(child, t0);
    return Promise.resolve();
  }

  /** What the host tells clients about this process. */
  info() {
    /** @type {HeldProcessInfo} */
    const info = {
      key: this.key,
      state: this.state,
      pid: this.pid,
      startTime: this.startTime,
      startedAt: this.startedAt,
      deadlineAt: this.#spec.deadlineAt ?? null,
      stdin: this.#stdin,
      exit: this.exit,
      lost: this.lost,
      spool: this.#output.offsets(),
    };
    return info;
  }

  /** The journal records that describe this process (for a rewrite). */
  records() {
    /** @type {JournalRecord[]} */
    const out = this.pid === null ? [] : [this.#record()];
    if (this.exit !== null) out.push({ t: 'exit', key: this.key, exit: this.exit });
    if (this.lost !== null) out.push({ t: 'lost', key: this.key, lost: this.lost });
    return out;
  }

  /** The spool (null while nothing was written). */
  get spool() {
    return this.#output.spool;
  }

  /** The unfinished line of each stream. */
  partials() {
    return this.#output.partials();
  }

  /** Stops the group (TERM, KILL after the grace) and reports `cancelled`; no-op once ended. */
  cancel() {
    this.#end?.stop('cancel');
  }

  /**
   * Stops the group like `cancel`, but records the process `lost` (killed): whoever follows it
   * next treats it as a process lost with its node, not as a step that ended.
   */
  abandon() {
    if (this.state !== 'running' || this.#end === null) return;
    this.#abandoned = true;
    this.#end.stop('cancel');
  }

  /** Sends `signal` to the whole group while the process runs. */
  signal(/** @type {HostSignal} */ signal) {
    if (this.state === 'running' && this.pid !== null) signalGroup(this.pid, signal);
  }

  /**
   * Writes to stdin. An unfinished line (the prompt being answered) becomes a line of its own
   * first, so the answer starts a new line in the log as on a terminal.
   * @param {string} data
   * @returns {Promise<void>}
   */
  write(data) {
    const stdin = this.#child?.stdin;
    if (this.#stdin !== 'open' || stdin == null || this.state !== 'running') {
      const why = this.#stdin === 'none' ? 'is not piped' : 'is closed';
      return Promise.reject(wireError('conflict', `stdin of '${this.key}' ${why}`));
    }
    this.#output.endLines();
    return new Promise((resolve, reject) => {
      stdin.write(data, (err) =>
        err ? reject(wireError('conflict', `input not delivered: ${err.message}`)) : resolve(),
      );
    });
  }

  /** Closes stdin (end of input). */
  closeStdin() {
    if (this.#stdin === 'open') this.#child?.stdin?.end();
  }

  /**
   * A follower started or stopped lagging behind: while any follower lags (its socket is full)
   * the process's pipes are not read, so the spool never drops lines a follower still owes. Not
   * once the leader has exited (what is left in the pipes is read so the exit can be recorded),
   * and not with no follower at all (the server is down: the spool keeps the newest lines).
   */
  lagChanged() {
    const lagging = this.state === 'running' && [...this.subscribers].some((s) => s.lagging);
    this.#output.setPaused(lagging);
  }

  /** Forgets the process: deletes its spool and tells its subscribers. */
  release() {
    this.#output.remove();
    this.#each((s) => s.released());
    this.subscribers.clear();
  }

  /** A subscriber delivered the exit or went away: a `releaseOnExit` process may go now. */
  exitDelivered() {
    if (!this.#releaseOnExit || this.state === 'running') return;
    for (const s of this.subscribers) if (s.owesExit) return;
    this.#ctx.forget(this);
  }

  /** @returns {JournalRecord} */
  #record() {
    return {
      t: 'spawn',
      key: this.key,
      pid: /** @type {number} */ (this.pid),
      startTime: this.startTime,
      boot: this.#ctx.boot,
      instance: this.#instance,
      seq: this.#seq,
      at: this.startedAt,
      deadlineAt: this.#spec.deadlineAt ?? null,
    };
  }

  /**
   * @param {ChildProcess} child
   * @param {number} t0
   */
  #watch(child, t0) {
    const spec = this.#spec;
    const pid = /** @type {number} */ (child.pid);
    if (child.stdin) {
      this.#stdin = 'open';
      const closed = () => {
        if (this.#stdin !== 'open') return;
        this.#stdin = 'closed';
        if (this.state === 'running') this.#each((s) => s.stdinClosed());
      };
      child.stdin.on('error', closed);
      child.stdin.once('close', closed);
    }
    const end = new ProcessEnd({
      pid,
      groups: this.#ctx.groups,
      graceMs: spec.killGraceMs ?? this.#ctx.defaults.killGraceMs,
      exitDrainMs: spec.exitDrainMs ?? this.#ctx.defaults.exitDrainMs,
      endGroupOnExit: spec.endGroupOnExit ?? false,
      destroyPipes: () => {
        child.stdout?.destroy();
        child.stderr?.destroy();
      },
      finished: (leader, reason) => {
        this.#output.close();
        child.stdin?.destroy();
        if (this.#abandoned) return this.#lose();
        this.#finish({
          exitCode: leader.code,
          signal: leader.signal,
          timedOut: reason === 'timeout',
          cancelled: reason === 'cancel',
          spawnError: null,
          endedAt: Date.now(),
          durationMs: performance.now() - t0,
        });
      },
    });
    this.#end = end;
    child.on('error', () => undefined); // after a spawn only kill() reports here; we use kill(2)
    child.once('exit', (code, signal) => {
      this.#output.setPaused(false); // the rest of the output is read whatever the followers
      end.leaderExited(code, signal);
    });
    for (const name of /** @type {const} */ (['stdout', 'stderr'])) {
      const stream = child[name];
      if (stream === null) continue;
      end.streamOpened();
      this.#output.read(stream, name);
      stream.once('close', () => end.streamClosed());
    }
    if (spec.deadlineAt !== undefined) end.arm(spec.deadlineAt);
  }

  /** @param {ExitInfo} exit */
  #finish(exit) {
    this.exit = exit;
    this.state = 'exited';
    this.#child = null;
    this.#end = null;
    // A process released at its exit needs no exit record: its release record follows.
    if (!this.#releaseOnExit) this.#ctx.journal.append({ t: 'exit', key: this.key, exit });
    const releasing = this.#releaseOnExit;
    this.#releaseOnExit = false; // hold the release until every subscriber was told
    this.#each((s) => s.exited());
    this.#ctx.ended(this);
    this.#releaseOnExit = releasing;
    this.exitDelivered();
  }

  /** Ends an abandoned process as `lost` (killed), told to followers like an exit. */
  #lose() {
    this.lost = { killed: true, at: Date.now() };
    this.state = 'lost';
    this.#child = null;
    this.#end = null;
    if (!this.#releaseOnExit)
      this.#ctx.journal.append({ t: 'lost', key: this.key, lost: this.lost });
    const releasing = this.#releaseOnExit;
    this.#releaseOnExit = false;
    this.#each((s) => s.exited());
    this.#ctx.ended(this);
    this.#releaseOnExit = releasing;
    this.exitDelivered();
  }

  /**
   * @param {NodeJS.ErrnoException} err
   * @param {number} t0
   */
  #failed(err, t0) {
    this.#finish({
      exitCode: null,
      signal: null,
      timedOut: false,
      cancelled: false,
      spawnError: describeSpawnError(err, this.#spec.cwd),
      endedAt: Date.now(),
      durationMs: performance.now() - t0,
    });
  }

  /** @param {(s: Subscriber) => void} fn */
  #each(fn) {
    for (const s of this.subscribers) fn(s);
  }
}

/**
 * A spawn failure as one message; names a missing cwd, which Node reports as ENOENT.
 * @param {NodeJS.ErrnoException} err
 * @param {string} cwd
 */
function describeSpawnError(err, cwd) {
  if (err.code === 'ENOENT' && !err.message.includes(cwd)) {
    let isDir = false;
    try {
      isDir = statSync(cwd).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) return `cwd '${cwd}' is not an existing directory (${err.message})`;
  }
  return err.message;
}

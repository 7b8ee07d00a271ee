/**
 * The OS side of one session run: a child with stdin piped, leading its own process group
 * (`detached`), its stdout/stderr split into bounded lines, and the latest output of each stream
 * (the partial last line included) handed to the attention check after every chunk.
 *
 * Ending. `stop()` sends SIGTERM to the whole group, SIGKILL once the grace period is over, and
 * resolves when no member of the group is alive and the exit was reported. When the leader exits
 * on its own, what it left in its group is ended the same way: a session's children never outlive
 * it. The exit is reported once the pipes closed, or shortly after the exit when a descendant
 * still holds them. Every group is noted in the pid registry while it may be alive, so a crashed
 * server's leftovers are reaped at the next start.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { ConflictError } from '../errors.ts';
import {
  describeSpawnError,
  isProcessGroupAlive,
  LineSplitter,
  signalProcessGroup,
} from '../exec/index.ts';
import type { PidRegistry } from '../exec/index.ts';
import { LatestOutput } from './attention.ts';

/** How often a dying group is checked. */
const GROUP_POLL_MS = 25;
/** After SIGKILL, how long to wait for the group to vanish. */
export const KILL_CONFIRM_MS = 2000;
/** After the leader's exit, how long the pipes may stay open before the exit is reported. */
const EXIT_DRAIN_MS = 250;

/** What a live session uses of its running process, wherever it runs (a child, or the host's). */
export interface RunningProcess {
  /** The pid, which is also the process group id. */
  readonly pid: number;
  /** True while input can be written. */
  readonly stdinOpen: boolean;
  /** True while any member of the process group is alive. */
  alive(): boolean;
  /** Writes to stdin; ConflictError when stdin is closed. */
  write(text: string): Promise<void>;
  /** Ends the whole group (SIGTERM, SIGKILL after `graceMs`); resolves once gone and reported. */
  stop(graceMs: number): Promise<void>;
  /** Kills the whole group at once (no grace). */
  kill(): Promise<void>;
}

/** What to start. */
export interface SessionLaunch {
  argv: string[];
  cwd?: string;
  /** The complete environment. */
  env: NodeJS.ProcessEnv;
  maxLineLength: number;
  /** Grace between SIGTERM and SIGKILL for leftovers of an exited leader. */
  killGraceMs: number;
  pids?: Pick<PidRegistry, 'record' | 'forget'>;
}

/** What the process reports. Handlers must not throw. */
export interface SessionProcessHandlers {
  line(stream: 'stdout' | 'stderr', line: string): void;
  /** After each chunk: the latest output of the stream that wrote it. */
  output(stream: 'stdout' | 'stderr', latest: string): void;
  /** Once, after the last line. */
  exit(code: number | null, signal: string | null): void;
  stdinClosed(): void;
}

/** One running (or ended) session process. */
export class SessionProcess implements RunningProcess {
  readonly #child: ChildProcess;
  readonly #launch: SessionLaunch;
  readonly #handlers: SessionProcessHandlers;
  readonly #reported: Promise<void>;
  #report!: () => void;
  #exited = false;
  #stdinOpen = true;
  #ending: Promise<void> | undefined;
  /** Ends the pending partial line of each stream (a prompt being answered). */
  readonly #endPartials: Array<() => void> = [];

  private constructor(
    child: ChildProcess,
    launch: SessionLaunch,
    handlers: SessionProcessHandlers,
  ) {
    this.#child = child;
    this.#launch = launch;
    this.#handlers = handlers;
    this.#reported = new Promise((resolve) => (this.#report = resolve));
    this.#watch();
  }

  /** Starts a process; rejects with a readable message when it cannot start. */
  static spawn(launch: SessionLaunch, handlers: SessionProcessHandlers): Promise<SessionProcess> {
    let child: ChildProcess;
    try {
      child = spawn(launch.argv[0]!, launch.argv.slice(1), {
        cwd: launch.cwd,
        env: launch.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        detached: true,
      });
    } catch (err) {
      return Promise.reject(new Error(describeSpawnError(err as Error, launch.cwd)));
    }
    if (child.pid === undefined) {
      return new Promise((_, reject) => {
        child.once('error', (err) => reject(new Error(describeSpawnError(err, launch.cwd))));
      });
    }
    launch.pids?.record(child.pid);
    return Promise.resolve(new SessionProcess(child, launch, handlers));
  }

  /** The pid, which is also the process group id. */
  get pid(): number {
    return this.#child.pid!;
  }

  /** True once the leader exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** True while input can be written. */
  get stdinOpen(): boolean {
    return this.#stdinOpen && !this.#exited;
  }

  /** True while any member of the process group is alive. */
  alive(): boolean {
    return isProcessGroupAlive(this.pid);
  }

  /**
   * Writes to stdin; ConflictError when stdin is closed. Resolves once handed to the pipe. A
   * pending partial line (the prompt being answered) becomes a line of its own first, so the
   * answer starts a new line in the log as it would on a terminal.
   */
  write(text: string): Promise<void> {
    const stdin = this.#child.stdin;
    if (!this.stdinOpen || stdin === null || stdin.destroyed || !stdin.writable) {
      return Promise.reject(new ConflictError('the session does not read input (stdin is closed)'));
    }
    for (const end of this.#endPartials) end();
    return new Promise((resolve, reject) => {
      stdin.write(text, (err) =>
        err ? reject(new ConflictError(`input not delivered: ${err.message}`)) : resolve(),
      );
    });
  }

  /** Ends the whole group (SIGTERM, SIGKILL after `graceMs`); resolves once gone and reported. */
  async stop(graceMs: number): Promise<void> {
    await this.#end(graceMs);
    await Promise.race([this.#reported, delay(KILL_CONFIRM_MS)]);
  }

  /** Kills the whole group at once (no grace). */
  kill(): Promise<void> {
    return this.stop(0);
  }

  #end(graceMs: number): Promise<void> {
    this.#ending ??= (async () => {
      const pid = this.pid;
      await endProcessGroup(pid, graceMs);
      if (!isProcessGroupAlive(pid)) this.#launch.pids?.forget(pid);
    })();
    return this.#ending;
  }

  #watch(): void {
    const child = this.#child;
    const open = new Set<Readable>();
    for (const [name, stream] of [
      ['stdout', child.stdout],
      ['stderr', child.stderr],
    ] as const) {
      if (stream === null) continue;
      open.add(stream);
      const latest = new LatestOutput();
      const splitter = new LineSplitter(this.#launch.maxLineLength, (line) =>
        this.#handlers.line(name, line),
      );
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        splitter.push(chunk);
        latest.push(chunk);
        this.#handlers.output(name, latest.latest);
      });
      this.#endPartials.push(() => {
        splitter.end();
        latest.endLine();
      });
      stream.once('close', () => {
        splitter.end();
        open.delete(stream);
        if (open.size === 0 && this.#exited) report();
      });
    }
    let reported = false;
    let exit: { code: number | null; signal: string | null } = { code: null, signal: null };
    const report = () => {
      if (reported) return;
      reported = true;
      clearTimeout(drainTimer);
      for (const s of open) s.destroy();
      this.#handlers.exit(exit.code, exit.signal);
      this.#report();
    };
    let drainTimer: NodeJS.Timeout | undefined;
    child.stdin?.on('error', () => this.#closeStdin());
    child.stdin?.once('close', () => this.#closeStdin());
    child.on('error', () => undefined); // after a spawn only kill() reports here; we use kill(2)
    child.once('exit', (code, signal) => {
      this.#exited = true;
      exit = { code, signal };
      // Leftovers of the group go with their leader; a stop in progress already sees to that.
      if (this.#ending === undefined && isProcessGroupAlive(this.pid)) {
        void this.#end(this.#launch.killGraceMs);
      } else if (this.#ending === undefined) {
        this.#launch.pids?.forget(this.pid);
      }
      if (open.size === 0) report();
      else drainTimer = setTimeout(report, EXIT_DRAIN_MS);
    });
  }

  #closeStdin(): void {
    if (!this.#stdinOpen) return;
    this.#stdinOpen = false;
    if (!this.#exited) this.#handlers.stdinClosed();
  }
}

/**
 * Ends process group `pgid`: SIGTERM, SIGKILL once `graceMs` passed (at once when 0); resolves
 * once no member is alive, or when even SIGKILL did not end it within a confirmation period.
 */
export async function endProcessGroup(pgid: number, graceMs: number): Promise<void> {
  if (signalProcessGroup(pgid, graceMs === 0 ? 'SIGKILL' : 'SIGTERM')) {
    if (!(await groupGone(pgid, graceMs)) && signalProcessGroup(pgid, 'SIGKILL')) {
      await groupGone(pgid, KILL_CONFIRM_MS);
    }
  }
}

/** Polls until group `pgid` has no live member; false when `ms` passed first. */
async function groupGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isProcessGroupAlive(pgid)) {
    if (Date.now() >= deadline) return false;
    await delay(Math.min(GROUP_POLL_MS, Math.max(1, deadline - Date.now())));
  }
  return true;
}

/** Resolves after `ms` (without holding the process open). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/**
 * The process-runner seam: spawn an argv or a shell script, stream its lines, enforce a timeout,
 * cancel through an AbortSignal, and kill the whole process group (TERM, then KILL).
 * @module
 */

/** What to run. Exactly one of `argv` or `script`. */
export interface ProcessSpec {
  /** Program and arguments, no shell. */
  argv?: string[];
  /** Script text run by `shell -c`; values reach it only through `env`. */
  script?: string;
  /** @default "sh" */
  shell?: string;
  cwd?: string;
  /** Added to (not replacing) the runner's base environment, unless `inheritEnv` is false. */
  env?: Record<string, string>;
  /**
   * False: `env` is the whole environment of the process; neither this process's environment
   * nor the runner's base environment is added (steps: their environment is built, never
   * inherited). @default true
   */
  inheritEnv?: boolean;
  /** Kill the process group after this many ms and report `timedOut`. */
  timeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL. @default 2000 */
  killGraceMs?: number;
  /** Aborting kills the process group and reports `cancelled`. */
  signal?: AbortSignal;
  /** Called once the process has started, with its pid (also its process group id). */
  onSpawn?: (pid: number) => void;
  /**
   * Called for every complete line (and a final partial line) on stdout/stderr. Runners that
   * spool output (the process host) pass the line's offset: lines of both streams numbered from
   * 0, so a caller can store how far it got and resume with `fromOffset`.
   */
  onLine?: (stream: 'stdout' | 'stderr', line: string, offset?: number) => void;
  /**
   * Identity of the process for runners that outlive their caller (the process host): a run
   * whose key the host already holds attaches to that process (replay from `fromOffset`, then
   * live, then its real exit) and starts nothing; the host keeps a keyed process until the
   * caller releases it (after storing the result). Other runners ignore it.
   */
  key?: string;
  /** With `key`: the first output offset wanted (0 = everything). @default 0 */
  fromOffset?: number;
}

/** How a process ended. */
export interface ProcessResult {
  /** Exit code; null when killed by a signal or never started. */
  exitCode: number | null;
  /** Terminating signal name, if any. */
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Spawn failure (e.g. ENOENT) as a message; the process never ran. */
  spawnError: string | null;
  pid: number | null;
  durationMs: number;
  /**
   * True when the process host died while the process ran: it was killed (or found gone) by the
   * reaper and never reported an exit. Only the process host's runner sets it.
   */
  lost?: boolean;
}

/** The runner interface. `run` never rejects for process failures: read the result. */
export interface ProcessRunner {
  run(spec: ProcessSpec): Promise<ProcessResult>;
  /** Kills every process still running (service shutdown). */
  killAll(): Promise<void>;
}

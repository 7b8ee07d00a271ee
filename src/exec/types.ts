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
  /** Added to (not replacing) the runner's base environment. */
  env?: Record<string, string>;
  /** Kill the process group after this many ms and report `timedOut`. */
  timeoutMs?: number;
  /** Grace period between SIGTERM and SIGKILL. @default 2000 */
  killGraceMs?: number;
  /** Aborting kills the process group and reports `cancelled`. */
  signal?: AbortSignal;
  /** Called once the process has started, with its pid (also its process group id). */
  onSpawn?: (pid: number) => void;
  /** Called for every complete line (and a final partial line) on stdout/stderr. */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
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
}

/** The runner interface. `run` never rejects for process failures: read the result. */
export interface ProcessRunner {
  run(spec: ProcessSpec): Promise<ProcessResult>;
  /** Kills every process still running (service shutdown). */
  killAll(): Promise<void>;
}

/**
 * Sessions: supervised long-lived processes (an agent CLI, a dev server, a REPL) as actors.
 * This file is the contract between the session runtime (supervision, machine, persistence)
 * and its front doors (commands, HTTP, NATS, rate limiting).
 * @module
 */
import type { SecretSource } from '../workflow/index.ts';

/** Top-level states of a session. */
export type SessionStatus =
  'created' | 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed' | 'restarting' | 'failed';

/** What a running session is doing. */
export type SessionActivity = 'busy' | 'idle' | 'awaiting_input';

/** Whether a process that ended on its own starts again: `never`, after a crash, or `always`. */
export type RestartPolicy = 'never' | 'on_failure' | 'always';

/** How to tell that a session waits for a person. */
export interface AttentionRule {
  /** Regular expression tested against the latest output (the partial last line counts). */
  prompt?: string;
  /** No output for this long (ms) while stdin is open. */
  idleMs?: number;
}

/** A session definition as stored (resolved: durations in ms). */
export interface SessionDefinition {
  name: string;
  /** argv (no shell) — exactly one of command / run. */
  command?: string[];
  /** Script text for `sh -c`. */
  run?: string;
  cwd?: string;
  env: Record<string, string>;
  /**
   * Secrets by the variable name the process receives them as: only their sources are stored and
   * shown; values are resolved at each launch and masked (`***`) in the session's output.
   */
  secrets?: Record<string, SecretSource>;
  tags: string[];
  restart: RestartPolicy;
  /** Restarts allowed within `restartWindowMs` before the session is `failed`. @default 5 */
  maxRestarts: number;
  /** @default 60000 */
  restartWindowMs: number;
  /** First restart delay; doubles up to `backoffMaxMs`. @default 500 */
  backoffMs: number;
  /** @default 30000 */
  backoffMaxMs: number;
  autostart: boolean;
  attention?: AttentionRule;
  /** Free-form preferences set by clients (`set-preference`). */
  preferences: Record<string, unknown>;
}

/** A session as the API shows it. */
export interface SessionView {
  id: string;
  name: string;
  status: SessionStatus;
  activity: SessionActivity | null;
  pid: number | null;
  restarts: number;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  /** Since when it has been awaiting input (for next-actionable ordering). */
  awaitingSince: string | null;
  exitCode: number | null;
  lastError: string | null;
  definition: SessionDefinition;
  /** The process (node) that holds it: where its process runs and its commands go. */
  node: string | null;
}

/** One output line of a session. */
export interface SessionLogLine {
  seq: number;
  stream: 'stdout' | 'stderr';
  line: string;
  ts: string;
}

/** Filters of the session list. */
export interface SessionQuery {
  status?: SessionStatus;
  tag?: string;
  limit?: number;
  cursor?: string;
}

/** How `SessionManager.close` treats the running processes. */
export interface SessionCloseOptions {
  /**
   * Also end the processes the process host holds (`--stop-processes`); by default they run on
   * and the next start re-attaches to them. Processes run without a host always end.
   * @default false
   */
  stopProcesses?: boolean;
}

/** The session runtime's interface, used by the commands / HTTP / NATS layer. */
export interface SessionManager {
  create(definition: unknown): Promise<SessionView>;
  update(
    id: string,
    patch: { name?: string; tags?: string[]; preferences?: Record<string, unknown> },
  ): Promise<SessionView>;
  delete(id: string): Promise<void>;
  get(id: string): Promise<SessionView>;
  list(query?: SessionQuery): Promise<{ items: SessionView[]; nextCursor: string | null }>;
  start(id: string): Promise<SessionView>;
  stop(id: string): Promise<SessionView>;
  restart(id: string): Promise<SessionView>;
  input(id: string, text: string, newline?: boolean): Promise<SessionView>;
  /** Of the sessions awaiting input, the one waiting longest; NotFoundError when none. */
  nextActionable(): Promise<SessionView>;
  setPreference(id: string, key: string, value: unknown): Promise<SessionView>;
  healthCheck(id: string): Promise<SessionView & { alive: boolean }>;
  /** Buffered output lines with seq > since (ring buffer, bounded). */
  logs(id: string, opts?: { since?: number; limit?: number }): Promise<SessionLogLine[]>;
  /**
   * Starts autostart sessions, re-attaches to the processes the process host kept, and reconciles
   * sessions whose process was lost with the server.
   */
  restore(): Promise<void>;
  /** Closes every session; see SessionCloseOptions for what happens to their processes. */
  close(options?: SessionCloseOptions): Promise<void>;
}

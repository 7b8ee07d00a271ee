/**
 * Types of the process host's wire protocol and of its records on disk. Pure types: the zod
 * schemas in `protocol.js` and `journal.js` are annotated with them and checked by
 * `npx tsc -p src/host`, and the TypeScript client uses them directly.
 *
 * Wire format: one JSON value per line (`\n`), at most `MAX_MESSAGE_BYTES` per line, both ways.
 * The client speaks first with a `ClientHello`; after the host's `HostHello` it sends
 * `HostRequest`s (each with its own `id`) and receives `HostReply`s (same `id`), `HostEvent`s
 * (pushed, no `id`) and at most one `HostFatal` (then the host closes the connection).
 * @module
 */
import type { WireError } from '../errors.ts';

/** Which pipe a line came from. */
export type OutputStream = 'stdout' | 'stderr';

/** One line of output: its stream and its text (no terminator; cut at the line cap). */
export type OutputLine = [stream: OutputStream, line: string];

/** Signals a client may send to a process group. */
export type HostSignal =
  | 'SIGTERM'
  | 'SIGKILL'
  | 'SIGINT'
  | 'SIGHUP'
  | 'SIGQUIT'
  | 'SIGUSR1'
  | 'SIGUSR2'
  | 'SIGSTOP'
  | 'SIGCONT'
  | 'SIGWINCH';

/** What to start. Exactly one of `argv` or `script`. */
export interface HostSpawnSpec {
  /** Caller-chosen identity, e.g. `step:<executionId>:<stepId>:<attempt>` or `session:<id>:<n>`. */
  key: string;
  argv?: string[];
  /** Script run as `shell -c script`. */
  script?: string;
  /** @default "sh" */
  shell?: string;
  /** Absolute working directory. */
  cwd: string;
  /** The complete environment: nothing of the host's own environment is added. */
  env: Record<string, string>;
  /** @default "ignore" */
  stdin?: 'pipe' | 'ignore';
  /** Epoch ms; the host kills the group then (TERM, KILL after the grace) and reports `timedOut`. */
  deadlineAt?: number;
  /** @default 2000 */
  killGraceMs?: number;
  /** Longest line kept, in UTF-16 code units; longer lines are cut with a marker. @default 8192 */
  maxLineLength?: number;
  /** Bound of the output spool on disk, in bytes; the oldest half is dropped past it. @default 4 MiB */
  spoolBytes?: number;
  /**
   * When the leader exits on its own, end what is left in its group (sessions: true) or leave it
   * (steps may start daemons on purpose: false). @default false
   */
  endGroupOnExit?: boolean;
  /** After the leader's own exit, how long output pipes held by descendants are read. @default 200 */
  exitDrainMs?: number;
}

/** How a held process ended. */
export interface ExitInfo {
  /** Exit code; null when killed by a signal or never started. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Why the process could not start (ENOENT, bad cwd); it never ran. */
  spawnError: string | null;
  /** Epoch ms. */
  endedAt: number;
  durationMs: number;
}

/** A process whose host died before it ended: killed (or found gone) by the reaper. */
export interface LostInfo {
  /** True when the reaper found it alive and killed it. */
  killed: boolean;
  /** Epoch ms of the reap. */
  at: number;
}

/** Offsets into a process's output spool. Offsets count lines from 0, both streams together. */
export interface SpoolOffsets {
  /** The oldest line still in the spool (lines before it were dropped at the bound). */
  firstOffset: number;
  /** The offset the next line will get: the number of lines produced so far. */
  nextOffset: number;
}

/** State of a held process: running, ended with an exit status, or lost with a dead host. */
export type HeldState = 'running' | 'exited' | 'lost';

/** Everything the host knows about one held process. */
export interface HeldProcessInfo {
  key: string;
  state: HeldState;
  /** Also the process-group id. Null when the process never started. */
  pid: number | null;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot); null where unknown. */
  startTime: string | null;
  /** Epoch ms. */
  startedAt: number;
  deadlineAt: number | null;
  stdin: 'open' | 'closed' | 'none';
  exit: ExitInfo | null;
  lost: LostInfo | null;
  spool: SpoolOffsets;
}

/** Where an attachment starts and whether it wants unfinished lines. */
export interface AttachOptions {
  /** First offset wanted: 0 for everything, the last seen offset + 1 to resume. */
  fromOffset: number;
  /** Also push the unfinished last line of each stream (prompts). @default false */
  partials?: boolean;
}

/** The first message of a client. */
export interface ClientHello {
  type: 'hello';
  version: number;
  /** Free text naming the client, for the host's log. */
  client?: string;
}

/** A request; the reply carries the same `id`. */
export type HostRequest =
  | {
      id: number;
      op: 'spawn';
      spec: HostSpawnSpec;
      attach?: AttachOptions;
      /**
       * Forget the process once it ended and every attached client got its exit (no exit record
       * is kept): for callers that will never re-attach, such as runs without a key.
       */
      releaseOnExit?: boolean;
    }
  | { id: number; op: 'attach'; key: string; fromOffset: number; partials?: boolean }
  | { id: number; op: 'detach'; key: string }
  | { id: number; op: 'list' }
  | { id: number; op: 'release'; key: string }
  | { id: number; op: 'signal'; key: string; signal: HostSignal }
  | { id: number; op: 'cancel'; key: string }
  | { id: number; op: 'write'; key: string; data: string }
  | { id: number; op: 'closeStdin'; key: string }
  | { id: number; op: 'shutdown'; killProcesses: boolean }
  /**
   * Arms (or, with 0, disarms) the host's leash: unless another `leash` arrives within `ms`,
   * every running process is stopped and recorded `lost` (see HostServer.leash).
   */
  | { id: number; op: 'leash'; ms: number };

/** The operation names. */
export type HostOp = HostRequest['op'];

/** Anything a client sends. */
export type ClientMessage = ClientHello | HostRequest;

/** The host's answer to a hello. */
export interface HostHello {
  type: 'hello';
  version: number;
  hostPid: number;
  /** Random id of this host process (changes at every host start). */
  instance: string;
}

/** The answer to one request. */
export type HostReply =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: WireError };

/** A connection-level refusal (bad hello, garbage, oversized line); the host then closes. */
export interface HostFatal {
  type: 'error';
  error: WireError;
}

/** Pushed to a client attached to `key`. */
export type HostEvent =
  | {
      type: 'output';
      key: string;
      /** Offset of `lines[0]`; the lines are consecutive. */
      offset: number;
      /** Lines wanted but dropped from the spool at its bound, just before `offset`. */
      skipped: number;
      lines: OutputLine[];
    }
  | { type: 'partial'; key: string; stream: OutputStream; text: string }
  | { type: 'exit'; key: string; process: HeldProcessInfo }
  | { type: 'stdin-closed'; key: string };

/** Anything the host sends. */
export type HostMessage = HostHello | HostReply | HostFatal | HostEvent;

/** Result of `attach` (and of `spawn` with `attach`). */
export interface AttachResult {
  process: HeldProcessInfo;
  /** The unfinished last line of each stream, when `partials` was asked for. */
  partials: { stdout: string; stderr: string };
}

/** Result of `spawn`. */
export interface SpawnResult {
  /** False when the key was already held: nothing was started. */
  created: boolean;
  process: HeldProcessInfo;
  attach?: AttachResult;
}

/** Result of `list`. */
export interface ListResult {
  processes: HeldProcessInfo[];
}

/** Result of `shutdown`. */
export interface ShutdownResult {
  /** Processes still running when the request arrived. */
  live: number;
}

/** One line of the journal (`<dataDir>/host/journal`). */
export type JournalRecord =
  | {
      t: 'host';
      instance: string;
      boot: string | null;
      /** Highest spawn sequence number this instance had used when the record was written. */
      seq: number;
    }
  | {
      t: 'spawn';
      key: string;
      pid: number;
      startTime: string | null;
      boot: string | null;
      instance: string;
      seq: number;
      at: number;
      deadlineAt: number | null;
    }
  | { t: 'exit'; key: string; exit: ExitInfo }
  | { t: 'lost'; key: string; lost: LostInfo }
  | { t: 'release'; key: string };

/** A held process as the journal knows it. */
export interface JournalEntry {
  key: string;
  state: HeldState;
  pid: number | null;
  startTime: string | null;
  boot: string | null;
  /** The host instance that started it and its spawn sequence number there (null: never ran). */
  instance: string | null;
  seq: number;
  startedAt: number;
  deadlineAt: number | null;
  exit: ExitInfo | null;
  lost: LostInfo | null;
}

/** The journal folded: live entries by key, and the last sequence number of each instance. */
export interface JournalState {
  entries: Map<string, JournalEntry>;
  seqs: Map<string, number>;
}

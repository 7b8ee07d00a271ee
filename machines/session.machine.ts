/**
 * One session: a supervised long-lived process.
 * `created → starting → running {busy, idle, awaiting_input} → stopping → stopped`, and when the
 * process ends on its own: `crashed → restarting` (exponential backoff) `→ starting`, or
 * `failed` once `maxRestarts` restarts happened within `restartWindowMs`.
 *
 * The process itself lives in the runtime: `spawnProcess` starts it, `stopProcess` ends its whole
 * process group; the runtime reports what the process does as events (`output` with whether the
 * attention prompt matched the latest output, `exited`, `stdin.closed`). Events that need a time
 * carry it (`at`, ms), so the machine never reads a clock; delays are named and run on the
 * actor's clock. Status and activity changes are emitted as `session.*` events.
 * @module
 */
import { assign, emit, enqueueActions, setup, type StateValue } from 'xstate';
import type { SessionEvent } from '../src/events.ts';
import type { RestartPolicy, SessionActivity, SessionStatus } from '../src/sessions/types.ts';
import { notProvided } from './not-provided.ts';
import { setupTypes } from './setup-types.ts';
import { eventOf, outputOf } from './params.ts';

/** What a session starts from (its persisted counters included). */
export interface SessionMachineInput {
  sessionId: string;
  restart: RestartPolicy;
  maxRestarts: number;
  restartWindowMs: number;
  backoffMs: number;
  backoffMaxMs: number;
  /** No output this long while stdin is open means it awaits input (attention `idle`). */
  idleMs?: number;
  /** Quiet time after which a busy session without an idle rule counts as idle. */
  quietMs: number;
  /** Automatic restarts so far. @default 0 */
  restarts?: number;
  /** Times (ms) of the recent automatic restarts. @default [] */
  restartTimes?: number[];
}

/** Session context (JSON-serialisable). */
export interface SessionContext extends Required<SessionMachineInput> {
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  lastError: string | null;
  activity: SessionActivity | null;
  stdinOpen: boolean;
  /** When the last crash happened (ms), for the restart window. */
  crashedAt: number;
  restartDelayMs: number;
  /** A `restart` command is in progress: start again once stopped. */
  startAfterStop: boolean;
}

/** What `spawnProcess` resolves with. */
export type SpawnResult = { ok: true; pid: number } | { ok: false; error: string; at: number };

/** Events a session accepts (commands, and reports from the runtime). */
export type SessionMachineEvent =
  | { type: 'start' }
  | { type: 'stop' }
  | { type: 'restart' }
  /** The persisted status found at server start; a live one means the process was lost. */
  | { type: 'restore'; status: SessionStatus; at: number }
  | { type: 'input.sent' }
  /** New output; `prompt` says whether the attention prompt matches the latest output. */
  | { type: 'output'; prompt: boolean }
  | { type: 'exited'; code: number | null; signal: string | null; at: number }
  | { type: 'stdin.closed' };

/** @default 500 */
export const DEFAULT_SESSION_BACKOFF_MS = 500;
/** @default 30000 */
export const DEFAULT_SESSION_BACKOFF_MAX_MS = 30_000;

/** Delay before the restart that follows `recent` restarts within the window. */
export function backoffFor(
  ctx: Pick<SessionContext, 'backoffMs' | 'backoffMaxMs'>,
  recent: number,
): number {
  return Math.min(ctx.backoffMaxMs, ctx.backoffMs * Math.pow(2, recent));
}

/** Guard params: the status a `restore` event carries, and the one the transition wants. */
const restoredParams =
  (status: SessionStatus) =>
  ({ event }: { event: { status: SessionStatus } }) => ({ restored: event.status, status });

const LIVE: readonly SessionStatus[] = ['starting', 'running', 'stopping', 'restarting'];
const LOST = 'the process was lost when the server stopped';

/** The session machine. */
export const sessionMachine = setup({
  types: setupTypes<{
    context: SessionContext;
    events: SessionMachineEvent;
    input: SessionMachineInput;
    emitted: SessionEvent;
  }>(),
  actors: {
    /** Starts the process (stdin piped, own process group). */
    spawnProcess: notProvided<SpawnResult, { sessionId: string }>('spawnProcess'),
    /** Ends the process group: SIGTERM, SIGKILL after the grace period; resolves when gone. */
    stopProcess: notProvided<void, { sessionId: string; pid: number | null }>('stopProcess'),
  },
  actions: {
    announce: emit(({ context }, params: { status: SessionStatus }) => ({
      type: 'session.status',
      sessionId: context.sessionId,
      status: params.status,
      pid: context.pid,
      restarts: context.restarts,
      exitCode: context.exitCode,
      error: context.lastError,
      ...(params.status === 'restarting' && { delayMs: context.restartDelayMs }),
    })),
    setActivity: enqueueActions(({ context, enqueue }, params: { activity: SessionActivity }) => {
      if (context.activity === params.activity) return;
      enqueue.assign({ activity: params.activity });
      enqueue.emit({
        type: 'session.activity',
        sessionId: context.sessionId,
        activity: params.activity,
      });
    }),
    recordExit: assign((_, e: Extract<SessionMachineEvent, { type: 'exited' }>) => {
      const failed = e.code !== 0 || e.signal !== null;
      return {
        exitCode: e.code,
        signal: e.signal,
        crashedAt: e.at,
        lastError: !failed
          ? null
          : e.signal !== null
            ? `killed by ${e.signal}`
            : `exited with code ${e.code}`,
      };
    }),
    /** Drops restarts older than the window, measured from the crash. */
    pruneRestarts: assign({
      restartTimes: ({ context }) =>
        context.restartTimes.filter((t) => t > context.crashedAt - context.restartWindowMs),
    }),
    recordSpawn: assign((_, result: SpawnResult) =>
      result.ok
        ? { pid: result.pid, lastError: null, stdinOpen: true }
        : { lastError: result.error, crashedAt: result.at },
    ),
    planRestart: assign(({ context }) => ({
      restartDelayMs: backoffFor(context, context.restartTimes.length),
      restartTimes: [...context.restartTimes, context.crashedAt],
    })),
  },
  guards: {
    exitedCleanly: ({ context }) => context.exitCode === 0 && context.signal === null,
    restartsAlways: ({ context }) => context.restart === 'always',
    restartsNever: ({ context }) => context.restart === 'never',
    canRestart: ({ context }) => context.restartTimes.length < context.maxRestarts,
    idleMeansAttention: ({ context }) => context.idleMs > 0 && context.stdinOpen,
    startAfterStop: ({ context }) => context.startAfterStop,
    restartsOnCrash: ({ context }) => context.restart !== 'never',
    spawned: (_, result: SpawnResult) => result.ok,
    promptSeen: (_, output: { prompt: boolean }) => output.prompt,
    processWasLive: (_, restored: { status: SessionStatus }) => LIVE.includes(restored.status),
    restoredAs: (_, params: { restored: SessionStatus; status: SessionStatus }) =>
      params.restored === params.status,
  },
  delays: {
    restartDelay: ({ context }) => context.restartDelayMs,
    quiet: ({ context }) =>
      context.idleMs > 0 && context.stdinOpen ? context.idleMs : context.quietMs,
  },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    ...input,
    idleMs: input.idleMs ?? 0,
    restarts: input.restarts ?? 0,
    restartTimes: input.restartTimes ?? [],
    pid: null,
    exitCode: null,
    signal: null,
    lastError: null,
    activity: null,
    stdinOpen: false,
    crashedAt: 0,
    restartDelayMs: 0,
    startAfterStop: false,
  }),
  initial: 'created',
  states: {
    created: {
      entry: { type: 'announce', params: { status: 'created' } },
      on: {
        start: 'starting',
        restart: 'starting',
        stop: 'stopped',
        restore: [
          {
            guard: { type: 'processWasLive', params: eventOf },
            target: 'crashed',
            actions: assign({
              crashedAt: ({ event }) => event.at,
              lastError: LOST,
              exitCode: null,
              signal: null,
            }),
          },
          { guard: { type: 'restoredAs', params: restoredParams('stopped') }, target: 'stopped' },
          { guard: { type: 'restoredAs', params: restoredParams('failed') }, target: 'failed' },
          { guard: { type: 'restoredAs', params: restoredParams('crashed') }, target: 'crashed' },
        ],
      },
    },
    starting: {
      entry: [
        assign({ pid: null, exitCode: null, signal: null, startAfterStop: false }),
        { type: 'announce', params: { status: 'starting' } },
      ],
      invoke: {
        src: 'spawnProcess',
        input: ({ context }) => ({ sessionId: context.sessionId }),
        onDone: [
          {
            guard: { type: 'spawned', params: outputOf },
            target: 'running',
            actions: { type: 'recordSpawn', params: outputOf },
          },
          { target: 'crashed', actions: { type: 'recordSpawn', params: outputOf } },
        ],
        onError: {
          target: 'crashed',
          actions: assign({ lastError: ({ event }) => String(event.error) }),
        },
      },
      on: {
        stop: 'stopping',
        exited: { target: 'exited', actions: { type: 'recordExit', params: eventOf } },
      },
    },
    running: {
      entry: { type: 'announce', params: { status: 'running' } },
      exit: assign({ activity: null, stdinOpen: false }),
      initial: 'busy',
      on: {
        output: [
          { guard: { type: 'promptSeen', params: eventOf }, target: '.awaiting_input' },
          { target: '.busy' },
        ],
        'input.sent': '.busy',
        'stdin.closed': { actions: assign({ stdinOpen: false }) },
        exited: { target: 'exited', actions: { type: 'recordExit', params: eventOf } },
        stop: 'stopping',
        restart: { target: 'stopping', actions: assign({ startAfterStop: true }) },
      },
      states: {
        busy: {
          entry: { type: 'setActivity', params: { activity: 'busy' } },
          after: {
            quiet: [{ guard: 'idleMeansAttention', target: 'awaiting_input' }, { target: 'idle' }],
          },
        },
        idle: { entry: { type: 'setActivity', params: { activity: 'idle' } } },
        awaiting_input: { entry: { type: 'setActivity', params: { activity: 'awaiting_input' } } },
      },
    },
    /** The process ended on its own: decide by its exit and the policy. */
    exited: {
      always: [{ guard: 'exitedCleanly', target: 'decideClean' }, { target: 'crashed' }],
    },
    decideClean: {
      always: [
        { guard: 'restartsAlways', target: 'retry' },
        { target: 'stopped', actions: assign({ pid: null }) },
      ],
    },
    crashed: {
      entry: [assign({ pid: null }), { type: 'announce', params: { status: 'crashed' } }],
      always: { guard: 'restartsOnCrash', target: 'retry' },
      on: { start: 'starting', restart: 'starting', stop: 'stopped' },
    },
    /** Another restart, unless the window already holds `maxRestarts` of them. */
    retry: {
      entry: 'pruneRestarts',
      always: [
        { guard: 'canRestart', target: 'restarting', actions: 'planRestart' },
        { target: 'failed', actions: assign({ lastError: ({ context }) => tooMany(context) }) },
      ],
    },
    restarting: {
      entry: [assign({ pid: null }), { type: 'announce', params: { status: 'restarting' } }],
      after: {
        restartDelay: {
          target: 'starting',
          actions: assign({ restarts: ({ context }) => context.restarts + 1 }),
        },
      },
      on: { start: 'starting', restart: 'starting', stop: 'stopped' },
    },
    stopping: {
      entry: { type: 'announce', params: { status: 'stopping' } },
      invoke: {
        src: 'stopProcess',
        input: ({ context }) => ({ sessionId: context.sessionId, pid: context.pid }),
        onDone: [{ guard: 'startAfterStop', target: 'starting' }, { target: 'stopped' }],
        onError: [
          { guard: 'startAfterStop', target: 'starting' },
          {
            target: 'stopped',
            actions: assign({ lastError: ({ event }) => `stop failed: ${String(event.error)}` }),
          },
        ],
      },
      on: {
        exited: {
          actions: assign({
            exitCode: ({ event }) => event.code,
            signal: ({ event }) => event.signal,
          }),
        },
        restart: { actions: assign({ startAfterStop: true }) },
        stop: { actions: assign({ startAfterStop: false }) },
      },
    },
    stopped: {
      entry: [assign({ pid: null }), { type: 'announce', params: { status: 'stopped' } }],
      on: { start: 'starting', restart: 'starting' },
    },
    failed: {
      entry: [assign({ pid: null }), { type: 'announce', params: { status: 'failed' } }],
      on: {
        start: { target: 'starting', actions: assign({ restartTimes: [] }) },
        restart: { target: 'starting', actions: assign({ restartTimes: [] }) },
        stop: 'stopped',
      },
    },
  },
});

function tooMany(ctx: SessionContext): string {
  const why = ctx.lastError ?? 'exited';
  return `${why}; ${ctx.maxRestarts} restarts within ${ctx.restartWindowMs} ms`;
}

const STATUSES: readonly SessionStatus[] = [
  'created',
  'starting',
  'running',
  'stopping',
  'stopped',
  'crashed',
  'restarting',
  'failed',
];

/** The top-level status of a snapshot value (transient states never rest). */
export function sessionStatusOf(value: StateValue): SessionStatus {
  const top = typeof value === 'string' ? value : Object.keys(value)[0];
  const status = STATUSES.find((s) => s === top);
  if (status === undefined) throw new Error(`'${String(top)}' is not a session status`);
  return status;
}

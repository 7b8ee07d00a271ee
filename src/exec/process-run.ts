/**
 * One run of one process: spawn, stream lines, enforce the timeout, cancel, kill the group.
 *
 * Lifecycle. While the leader runs, a timeout or an abort sends SIGTERM to the whole group and
 * arms a SIGKILL for the group after the grace period. Once the leader has exited after such a
 * kill, the run waits until no live (non-zombie) member is left in the group, sending that
 * SIGKILL at the end of the grace period if needed, so a timed-out or cancelled step leaves no
 * orphans when its result arrives.
 *
 * Choice: when the leader exits on its own, the group is NOT killed. A step may background a
 * daemon on purpose (`nohup server >log 2>&1 &`); killing it would make that impossible, and
 * sessions exist for supervised long-lived processes. What a background child cannot do is hold
 * the step open: stdout/stderr are read for at most `exitDrainMs` after the leader's exit, then
 * the runner closes its ends of the pipes (a later write by the child gets EPIPE/SIGPIPE).
 *
 * Limit: a descendant that starts its own session or group (`setsid`, a double-forking daemon)
 * leaves the step's group and is out of reach of the group kill.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { ProcessResult, ProcessSpec } from './types.ts';
import type { ResolvedExecaRunnerOptions } from './runner-options.ts';
import type { SpawnChild } from './spawn-child.ts';
import type { GroupWatcher } from './group-watcher.ts';
import { LineSplitter } from './line-splitter.ts';
import { isProcessGroupAlive, signalProcessGroup } from './process-group.ts';

/** After SIGKILL, how long to wait for the group to vanish before reporting anyway. */
export const KILL_CONFIRM_MS = 1000;

/** What a run needs from its runner. */
export interface RunContext {
  opts: ResolvedExecaRunnerOptions;
  spawnChild: SpawnChild;
  groups: GroupWatcher;
}

/** A run in progress: its pid, its result, and a way to stop it. */
export interface ProcessRun {
  readonly pid: number | null;
  readonly result: Promise<ProcessResult>;
  /** Kills the group (TERM, then KILL) if the leader still runs; reports `cancelled`. */
  cancel(): void;
}

type StopReason = 'timeout' | 'cancel';

/** Starts `spec` (already validated) and returns its run handle. */
export function startProcessRun(spec: ProcessSpec, ctx: RunContext): ProcessRun {
  const { opts, spawnChild } = ctx;
  const startedAt = performance.now();
  const base = { exitCode: null, signal: null, timedOut: false, spawnError: null, pid: null };
  const ms = () => performance.now() - startedAt;
  if (spec.signal?.aborted) {
    const result = { ...base, cancelled: true, durationMs: ms() };
    return { pid: null, result: Promise.resolve(result), cancel: () => undefined };
  }
  const argv = spec.argv ?? [spec.shell ?? opts.shell, '-c', spec.script ?? ''];
  const outcome = spawnChild({
    file: argv[0] ?? '',
    args: argv.slice(1),
    cwd: spec.cwd,
    env: spec.inheritEnv === false ? { ...spec.env } : mergeEnv(opts.env, spec.env),
  });
  if (outcome.child === null) {
    const result = outcome.failure.then((err) => ({
      ...base,
      cancelled: false,
      spawnError: describeSpawnError(err, spec.cwd),
      durationMs: ms(),
    }));
    return { pid: null, result, cancel: () => undefined };
  }
  return watchChild(outcome.child, spec, ctx, ms);
}

function watchChild(
  child: ChildProcess,
  spec: ProcessSpec,
  { opts, groups }: RunContext,
  ms: () => number,
): ProcessRun {
  const pid = child.pid as number;
  const graceMs = spec.killGraceMs ?? opts.killGraceMs;
  let reason: StopReason | null = null;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let groupSettled = false;
  let openStreams = 0;
  let timeoutTimer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  let giveUpTimer: NodeJS.Timeout | undefined;
  let unwatch: (() => void) | undefined;
  let killSent = false;
  let settle!: (r: ProcessResult) => void;
  const result = new Promise<ProcessResult>((resolve) => (settle = resolve));

  const stop = (why: StopReason) => {
    if (reason !== null || exit !== null) return;
    reason = why;
    detachTriggers();
    signalProcessGroup(pid, 'SIGTERM');
    killTimer = setTimeout(forceKill, graceMs);
  };
  const onAbort = () => stop('cancel');
  const detachTriggers = () => {
    clearTimeout(timeoutTimer);
    spec.signal?.removeEventListener('abort', onAbort);
  };
  const forceKill = () => {
    killSent = true;
    signalProcessGroup(pid, 'SIGKILL');
    if (exit !== null) giveUpTimer = setTimeout(settleGroup, KILL_CONFIRM_MS);
  };
  /** After a kill, the leader is gone: wait for the rest of the group (SIGKILL still armed). */
  const awaitGroup = () => {
    if (!isProcessGroupAlive(pid)) return settleGroup();
    unwatch = groups.watch(pid, settleGroup);
    if (killSent) giveUpTimer = setTimeout(settleGroup, KILL_CONFIRM_MS);
  };
  const settleGroup = () => {
    if (groupSettled) return;
    unwatch?.();
    clearTimeout(killTimer);
    clearTimeout(giveUpTimer);
    groupSettled = true;
    drain();
  };
  const drain = () => {
    if (openStreams === 0) return finish();
    drainTimer = setTimeout(() => {
      child.stdout?.destroy();
      child.stderr?.destroy();
    }, opts.exitDrainMs);
  };
  const finish = () => {
    if (exit === null || !groupSettled || openStreams > 0) return;
    clearTimeout(drainTimer);
    child.removeListener('error', ignore);
    settle({
      exitCode: exit.code,
      signal: exit.signal,
      timedOut: reason === 'timeout',
      cancelled: reason === 'cancel',
      spawnError: null,
      pid,
      durationMs: ms(),
    });
  };

  child.on('error', ignore); // after a successful spawn only kill() reports here; we use kill(2)
  child.once('exit', (code, signal) => {
    exit = { code, signal };
    if (reason === null) {
      detachTriggers();
      groupSettled = true;
      drain();
    } else {
      awaitGroup();
    }
  });
  for (const [name, stream] of [
    ['stdout', child.stdout],
    ['stderr', child.stderr],
  ] as const) {
    if (stream === null) continue;
    openStreams++;
    readLines(stream, name, spec.onLine, opts.maxLineLength);
    stream.once('close', () => {
      openStreams--;
      if (exit !== null && groupSettled) finish();
    });
  }
  try {
    spec.onSpawn?.(pid);
  } catch {
    // A bookkeeping callback must not break the run.
  }
  if (spec.timeoutMs !== undefined)
    timeoutTimer = setTimeout(() => stop('timeout'), spec.timeoutMs);
  spec.signal?.addEventListener('abort', onAbort, { once: true });
  return { pid, result, cancel: () => stop('cancel') };
}

/** Streams `stream` into `onLine`, or just drains it when nobody listens. */
function readLines(
  stream: Readable,
  name: 'stdout' | 'stderr',
  onLine: ProcessSpec['onLine'],
  maxLineLength: number,
): void {
  if (onLine === undefined) {
    stream.resume();
    return;
  }
  const splitter = new LineSplitter(maxLineLength, (line) => {
    try {
      onLine(name, line);
    } catch {
      // A throwing listener must not crash the service or stop the stream; it owns its errors.
    }
  });
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => splitter.push(chunk));
  stream.once('close', () => splitter.end());
}

/** `process.env` + base + spec env, or undefined when there is nothing to add. */
function mergeEnv(
  base: Readonly<Record<string, string>>,
  extra: Record<string, string> | undefined,
): NodeJS.ProcessEnv | undefined {
  const hasBase = Object.keys(base).length > 0;
  if (!hasBase && extra === undefined) return undefined;
  return { ...process.env, ...base, ...extra };
}

/** A spawn failure as one readable message; names a missing cwd, which Node reports as ENOENT. */
export function describeSpawnError(err: NodeJS.ErrnoException, cwd: string | undefined): string {
  if (
    err.code === 'ENOENT' &&
    cwd !== undefined &&
    !err.message.includes(cwd) &&
    !isDirectory(cwd)
  ) {
    return `cwd '${cwd}' is not an existing directory (${err.message})`;
  }
  return err.message;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function ignore(): void {}

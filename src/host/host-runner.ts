/**
 * The ProcessRunner seam over a process host: `run(spec)` spawns through the host with the
 * spec's key (or a fresh one), attaches from `spec.fromOffset` (0), hands lines to `onLine` with
 * their offsets, turns `timeoutMs` into a deadline the host enforces itself, and cancels through
 * the host on abort. A spec whose key the host already holds re-attaches instead of starting
 * anything: replay, then live, then the real exit.
 *
 * Release: a run without a key is forgotten by the host at its exit (nobody can re-attach to
 * it). A keyed run stays held after its result: the caller calls `release(key)` once it has
 * stored the result, so a crash in between cannot lose it.
 *
 * `run` never rejects for a process failure (read the result); it rejects when the host
 * connection closes (UnavailableError): the process lives on in the host, and a new connection
 * can re-attach with the same key.
 * @module
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { InvalidArgumentError, type StatorError } from '../errors.ts';
import { checkSpec } from '../exec/index.ts';
import type { ProcessResult, ProcessRunner, ProcessSpec } from '../exec/index.ts';
import type { HeldProcessInfo, HostSpawnSpec, SpawnResult } from './protocol-types.ts';
import type { AttachHandlers } from './attach-handlers.ts';
import type { ResolvedConnectHostOptions } from './host-options.ts';

/** What the runner needs from a host client. */
export interface HostRunnerClient {
  spawn(
    spec: HostSpawnSpec,
    attach: { fromOffset: number; handlers: AttachHandlers },
    options: { releaseOnExit: boolean },
  ): Promise<SpawnResult>;
  cancel(key: string): Promise<void>;
  readonly closed: Promise<StatorError>;
}

interface LiveRun {
  cancel(): void;
  fail(err: StatorError): void;
  result: Promise<ProcessResult>;
}

/** Creates the runner; `opts` gives the base environment and the defaults of every spawn. */
export function createHostRunner(
  client: HostRunnerClient,
  opts: ResolvedConnectHostOptions,
): ProcessRunner {
  const live = new Set<LiveRun>();
  // This process's environment is read once: copying process.env costs ~50 µs per spawn.
  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) baseEnv[k] = v;
  Object.assign(baseEnv, opts.env);
  void client.closed.then((err) => {
    for (const run of live) run.fail(err);
  });

  const start = (spec: ProcessSpec): LiveRun => {
    const t0 = performance.now();
    const key = spec.key ?? `run:${randomUUID()}`;
    const hostSpec = toHostSpec(spec, key, baseEnv, opts);
    const releaseOnExit = spec.key === undefined; // nobody can re-attach to a keyless run
    let settle!: (r: ProcessResult) => void;
    let fail!: (err: StatorError) => void;
    const result = new Promise<ProcessResult>((res, rej) => {
      settle = res;
      fail = rej;
    });
    const cancel = () => void client.cancel(key).catch(() => undefined);
    const run: LiveRun = { cancel, fail: (err) => done(() => fail(err)), result };
    const done = (finish: () => void) => {
      if (!live.delete(run)) return;
      spec.signal?.removeEventListener('abort', cancel);
      finish();
    };
    const handlers: AttachHandlers = {
      output: (lines, offset) => {
        if (spec.onLine === undefined) return;
        for (let i = 0; i < lines.length; i++) {
          const [stream, line] = lines[i] as ['stdout' | 'stderr', string];
          try {
            spec.onLine(stream, line, offset + i);
          } catch {
            // A throwing listener must not stop the stream; it owns its errors.
          }
        }
      },
      exit: (info) => done(() => settle(toResult(info, performance.now() - t0))),
    };
    live.add(run);
    spec.signal?.addEventListener('abort', cancel, { once: true });
    client.spawn(hostSpec, { fromOffset: spec.fromOffset ?? 0, handlers }, { releaseOnExit }).then(
      (r) => {
        if (r.process.pid !== null && r.process.state === 'running') {
          try {
            spec.onSpawn?.(r.process.pid);
          } catch {
            // A bookkeeping callback must not break the run.
          }
        }
        if (spec.signal?.aborted) cancel();
      },
      (err: StatorError) => run.fail(err),
    );
    return run;
  };

  return {
    run: async function runOnHost(spec: ProcessSpec): Promise<ProcessResult> {
      const issues = checkSpec(spec);
      if (issues.length > 0) throw InvalidArgumentError.format(issues);
      if (spec.signal?.aborted) return { ...NOT_STARTED, cancelled: true };
      return start(spec).result;
    },
    killAll: async function killAllOnHost(): Promise<void> {
      const runs = [...live];
      for (const r of runs) r.cancel();
      await Promise.allSettled(runs.map((r) => r.result));
    },
  };
}

const NOT_STARTED: ProcessResult = {
  exitCode: null,
  signal: null,
  timedOut: false,
  cancelled: false,
  spawnError: null,
  pid: null,
  durationMs: 0,
};

/** The spawn request of a spec: complete environment, absolute cwd, deadline. */
function toHostSpec(
  spec: ProcessSpec,
  key: string,
  baseEnv: Record<string, string>,
  opts: ResolvedConnectHostOptions,
): HostSpawnSpec {
  // `inheritEnv: false`: the spec's env is the whole environment (a step's, built by the runtime).
  const env =
    spec.inheritEnv === false
      ? { ...spec.env }
      : spec.env === undefined
        ? baseEnv
        : { ...baseEnv, ...spec.env };
  const host: HostSpawnSpec = {
    key,
    cwd: resolve(spec.cwd ?? process.cwd()),
    env,
    stdin: 'ignore',
    killGraceMs: spec.killGraceMs ?? opts.killGraceMs,
    maxLineLength: opts.maxLineLength,
    spoolBytes: opts.spoolBytes,
    exitDrainMs: opts.exitDrainMs,
  };
  if (spec.argv !== undefined) host.argv = spec.argv;
  else host.script = spec.script ?? '';
  if (spec.script !== undefined) host.shell = spec.shell ?? opts.shell;
  if (spec.timeoutMs !== undefined) host.deadlineAt = Date.now() + spec.timeoutMs;
  return host;
}

/** A held process's end as a ProcessResult (`lost` when its host died under it). */
function toResult(info: HeldProcessInfo, durationMs: number): ProcessResult {
  const exit = info.exit;
  if (exit === null) {
    return { ...NOT_STARTED, pid: info.pid, durationMs, lost: true };
  }
  return {
    exitCode: exit.exitCode,
    signal: exit.signal,
    timedOut: exit.timedOut,
    cancelled: exit.cancelled,
    spawnError: exit.spawnError,
    pid: exit.spawnError === null ? info.pid : null,
    durationMs,
  };
}

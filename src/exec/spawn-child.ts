/**
 * The two spawners behind the runner: `node:child_process.spawn` and execa 9, both configured
 * the same way (no shell of their own, stdin ignored, stdout/stderr piped and unbuffered,
 * detached so the child leads a new process group). Timeouts, cancellation and killing are done
 * by the runner on the whole group, never by the spawner.
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { execa } from 'execa';
import type { Spawner } from './runner-options.ts';

/** What to start: a file, its arguments, a cwd and a complete environment. */
export interface ChildLaunch {
  file: string;
  args: string[];
  cwd: string | undefined;
  /** The complete environment; undefined means `process.env` unchanged. */
  env: NodeJS.ProcessEnv | undefined;
}

/** A started child, or the reason it could not start (available asynchronously). */
export type SpawnOutcome =
  { child: ChildProcess; failure: null } | { child: null; failure: Promise<NodeJS.ErrnoException> };

/** Starts one child; never throws. */
export type SpawnChild = (launch: ChildLaunch) => SpawnOutcome;

/** Returns the spawner for a `Spawner` name. */
export function spawnerFor(name: Spawner): SpawnChild {
  return name === 'execa' ? spawnWithExeca : spawnWithNode;
}

/** Spawns with `node:child_process.spawn`. */
export function spawnWithNode(launch: ChildLaunch): SpawnOutcome {
  let child: ChildProcess;
  try {
    child = spawn(launch.file, launch.args, {
      cwd: launch.cwd,
      env: launch.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
  } catch (err) {
    return failed(err);
  }
  if (child.pid !== undefined) return { child, failure: null };
  // ENOENT, EACCES, bad cwd: Node reports these with 'error' on the next tick, then releases
  // the handle and pipes before 'close'; resolving after 'close' leaves nothing open.
  const closed = new Promise((resolve) => child.once('close', resolve)); // events.once would reject
  const failure = once(child, 'error').then(async ([err]) => {
    await closed;
    return err as NodeJS.ErrnoException;
  });
  return { child: null, failure };
}

/**
 * Spawns with execa 9. Options chosen for cost (bench/runner-spawn.ts): `buffer: false` (no
 * output collection; the runner reads the streams itself), `stdin: 'ignore'`, `reject: false`,
 * `cleanup: false` (no signal-exit hook per child), `forceKillAfterDelay: false` and no
 * `timeout`/`cancelSignal` (the runner kills the group itself), `stripFinalNewline: false`,
 * `extendEnv: false` with an env the runner already merged.
 */
export function spawnWithExeca(launch: ChildLaunch): SpawnOutcome {
  try {
    const sub = execa(launch.file, launch.args, {
      cwd: launch.cwd,
      env: launch.env ?? process.env,
      extendEnv: false,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: false,
      detached: true,
      forceKillAfterDelay: false,
      stripFinalNewline: false,
    });
    if (sub.pid !== undefined) {
      sub.catch(() => undefined); // reject: false already; never an unhandled rejection
      return { child: sub, failure: null };
    }
    const failure = sub.then((result) => {
      const err: NodeJS.ErrnoException = new Error(result.originalMessage || result.shortMessage);
      const code = (result as { code?: unknown }).code;
      if (typeof code === 'string') err.code = code;
      return err;
    });
    return { child: null, failure };
  } catch (err) {
    return failed(err);
  }
}

function failed(err: unknown): SpawnOutcome {
  const e: NodeJS.ErrnoException = err instanceof Error ? err : new Error(String(err));
  return { child: null, failure: Promise.resolve(e) };
}

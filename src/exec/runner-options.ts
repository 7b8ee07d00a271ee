/**
 * Options of the process runner: defaults, validation once at the boundary, resolved form.
 * @module
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.ts';

/** Shell used for `script` specs. */
export const DEFAULT_SHELL = 'sh';
/** Grace period between SIGTERM and SIGKILL of a process group. */
export const DEFAULT_KILL_GRACE_MS = 2000;
/** Lines longer than this (UTF-16 code units, ~64 KiB of ASCII) are cut and marked. */
export const DEFAULT_MAX_LINE_LENGTH = 64 * 1024;
/** How long stdout/stderr may stay open after the leader exited on its own. */
export const DEFAULT_EXIT_DRAIN_MS = 200;
/** The spawner of the hot path; see bench/runner-spawn.ts for why it is not execa. */
export const DEFAULT_SPAWNER: Spawner = 'node';

/** Which library starts the child: `node:child_process.spawn` or execa 9. */
export type Spawner = 'node' | 'execa';

/** Options of `createExecaRunner`. */
export interface ExecaRunnerOptions {
  /**
   * Base environment, added to `process.env`; a spec's `env` is added on top. A spec with
   * `inheritEnv: false` gets its own `env` alone. @default {}
   */
  env?: Record<string, string>;
  /** Shell for `script` specs that do not name one. @default "sh" */
  shell?: string;
  /** Default grace period between SIGTERM and SIGKILL. @default 2000 */
  killGraceMs?: number;
  /** Longest line passed to `onLine`, in UTF-16 code units; longer ones are cut. @default 65536 */
  maxLineLength?: number;
  /**
   * After the leader exits on its own, how long to keep reading stdout/stderr that a background
   * child still holds open before detaching from them. @default 200
   */
  exitDrainMs?: number;
  /** Spawner of each child; both give the same results. @default "node" */
  spawner?: Spawner;
}

/** Options with every default applied. */
export interface ResolvedExecaRunnerOptions {
  env: Readonly<Record<string, string>>;
  shell: string;
  killGraceMs: number;
  maxLineLength: number;
  exitDrainMs: number;
  spawner: Spawner;
}

const optionsSchema = z
  .object({
    env: z.record(z.string(), z.string()).optional(),
    shell: z.string().min(1).optional(),
    killGraceMs: z.number().int().min(0).optional(),
    maxLineLength: z.number().int().min(16).optional(),
    exitDrainMs: z.number().int().min(0).optional(),
    spawner: z.enum(['node', 'execa']).optional(),
  })
  .strict();

/** Applies defaults and validates; throws InvalidArgumentError naming each bad field. */
export function resolveExecaRunnerOptions(
  input: ExecaRunnerOptions = {},
): ResolvedExecaRunnerOptions {
  const parsed = optionsSchema.safeParse(input);
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const o = parsed.data;
  return {
    env: Object.freeze({ ...o.env }),
    shell: o.shell ?? DEFAULT_SHELL,
    killGraceMs: o.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    maxLineLength: o.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH,
    exitDrainMs: o.exitDrainMs ?? DEFAULT_EXIT_DRAIN_MS,
    spawner: o.spawner ?? DEFAULT_SPAWNER,
  };
}

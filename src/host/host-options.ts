/**
 * Options of `connectHost`: defaults, one validation at the boundary, resolved form.
 * @module
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../errors.ts';

/** How long a host with no client and no running process waits before it exits. */
export const DEFAULT_HOST_IDLE_MS = 60_000;
/** How long `connectHost` waits for a socket (and for a host it started). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** Lines longer than this (UTF-16 code units) are cut with a marker, as by the runtime's runner. */
export const DEFAULT_HOST_MAX_LINE_LENGTH = 8192;
/** Bound of one process's output spool on disk. */
export const DEFAULT_HOST_SPOOL_BYTES = 4 * 1024 * 1024;

/** Options of `connectHost`. */
export interface ConnectHostOptions {
  /** The data directory whose host to use (its `host/` folder holds socket, journal, spools). */
  dataDir: string;
  /** Start a host when none answers (after reaping what a dead one left). @default true */
  startIfMissing?: boolean;
  /** @default 5000 */
  connectTimeoutMs?: number;
  /** Idle period of a host this call starts. @default 60000 */
  idleMs?: number;
  /** Name of this client in the host's log. @default "stator" */
  clientName?: string;
  /**
   * Base environment of `run()`, added to this process's environment as it is when
   * `connectHost()` is called; a spec's `env` is added on top (as the in-process runner does).
   * Raw `spawn` sends exactly the env it is given. @default {}
   */
  env?: Record<string, string>;
  /** Shell of `script` specs that name none. @default "sh" */
  shell?: string;
  /** Grace between SIGTERM and SIGKILL. @default 2000 */
  killGraceMs?: number;
  /** @default 8192 */
  maxLineLength?: number;
  /** @default 4194304 */
  spoolBytes?: number;
  /** After a leader's own exit, how long pipes held by its descendants are read. @default 200 */
  exitDrainMs?: number;
}

/** Options with every default applied. */
export interface ResolvedConnectHostOptions {
  dataDir: string;
  startIfMissing: boolean;
  connectTimeoutMs: number;
  idleMs: number;
  clientName: string;
  env: Readonly<Record<string, string>>;
  shell: string;
  killGraceMs: number;
  maxLineLength: number;
  spoolBytes: number;
  exitDrainMs: number;
}

const ms = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
const schema = z
  .object({
    dataDir: z.string().min(1),
    startIfMissing: z.boolean().optional(),
    connectTimeoutMs: ms.min(1).optional(),
    idleMs: ms.min(50).optional(),
    clientName: z.string().min(1).max(200).optional(),
    env: z.record(z.string(), z.string()).optional(),
    shell: z.string().min(1).optional(),
    killGraceMs: ms.optional(),
    maxLineLength: z.number().int().min(16).max(65536).optional(),
    spoolBytes: z
      .number()
      .int()
      .min(4096)
      .max(2 ** 30)
      .optional(),
    exitDrainMs: z.number().int().min(0).max(60_000).optional(),
  })
  .strict();

/** Applies defaults and validates; throws InvalidArgumentError naming each bad field. */
export function resolveConnectHostOptions(input: ConnectHostOptions): ResolvedConnectHostOptions {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const o = parsed.data;
  return {
    dataDir: o.dataDir,
    startIfMissing: o.startIfMissing ?? true,
    connectTimeoutMs: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    idleMs: o.idleMs ?? DEFAULT_HOST_IDLE_MS,
    clientName: o.clientName ?? 'stator',
    env: Object.freeze({ ...o.env }),
    shell: o.shell ?? 'sh',
    killGraceMs: o.killGraceMs ?? 2000,
    maxLineLength: o.maxLineLength ?? DEFAULT_HOST_MAX_LINE_LENGTH,
    spoolBytes: o.spoolBytes ?? DEFAULT_HOST_SPOOL_BYTES,
    exitDrainMs: o.exitDrainMs ?? 200,
  };
}

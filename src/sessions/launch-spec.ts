/**
 * What a session's process is started with, built from its record: argv (its `command`, or its
 * `run` script under `sh -c`), working directory and environment (built, never inherited: the
 * base environment of steps, then the definition's `env`, then the secrets resolved for this
 * launch, then `STATOR_SESSION_ID` and `STATOR_SESSION_NAME`; nothing of Stator's own
 * configuration), as a child of this
 * process or as a spawn request to the process host.
 * @module
 */
import { resolve } from 'node:path';
import { baseEnvironment, type PidRegistry } from '../exec/index.ts';
import type { HostSpawnSpec } from '../host/index.ts';
import type { SessionRecord } from '../store/index.ts';
import type { ResolvedSessionManagerOptions } from './options.ts';
import type { SessionLaunch } from './session-process.ts';

/** The launch of a session as a child of this process. */
export function childLaunch(
  record: SessionRecord,
  options: ResolvedSessionManagerOptions,
  secrets: Readonly<Record<string, string>>,
  pids?: Pick<PidRegistry, 'record' | 'forget'>,
): SessionLaunch {
  const def = record.definition;
  return {
    argv: argvOf(record),
    env: envOf(record, options, secrets),
    maxLineLength: options.maxLineLength,
    killGraceMs: options.killGraceMs,
    ...(def.cwd !== undefined && { cwd: def.cwd }),
    ...(pids !== undefined && { pids }),
  };
}

/** The spawn request of a session launch held by the process host under `key`. */
export function hostSpawnSpec(
  record: SessionRecord,
  key: string,
  options: ResolvedSessionManagerOptions,
  secrets: Readonly<Record<string, string>>,
): HostSpawnSpec {
  return {
    key,
    argv: argvOf(record),
    cwd: resolve(record.definition.cwd ?? process.cwd()),
    env: envOf(record, options, secrets),
    stdin: 'pipe',
    endGroupOnExit: true,
    killGraceMs: options.killGraceMs,
    maxLineLength: options.maxLineLength,
  };
}

function argvOf(record: SessionRecord): string[] {
  const def = record.definition;
  return def.command ?? ['sh', '-c', def.run ?? ''];
}

function envOf(
  record: SessionRecord,
  options: ResolvedSessionManagerOptions,
  secrets: Readonly<Record<string, string>>,
): Record<string, string> {
  return {
    ...baseEnvironment(options.envPassthrough),
    ...record.definition.env,
    ...secrets,
    STATOR_SESSION_ID: record.id,
    STATOR_SESSION_NAME: record.definition.name,
  };
}

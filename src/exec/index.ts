/**
 * The process runner: spawns an argv (no shell) or a script (`shell -c`), streams stdout/stderr
 * line by line, enforces timeouts and cancellation, and kills the whole process group
 * (SIGTERM, then SIGKILL after a grace period).
 *
 * Exports:
 * - `createExecaRunner(options)`: the ProcessRunner implementation; `checkSpec` validates a spec
 *   by field (shared with the process host's runner).
 * - `resolveExecaRunnerOptions`, `ExecaRunnerOptions`, `ResolvedExecaRunnerOptions`, `Spawner`
 *   and the `DEFAULT_*` constants: its options.
 * - `LineSplitter`, `truncationMarker`: bounded line splitting.
 * - `signalProcessGroup`, `isProcessGroupAlive`, `liveGroups`: process-group primitives.
 * - `ProcessRunner`, `ProcessSpec`, `ProcessResult`: the seam's types.
 * - `baseEnvironment`, `BASE_ENV_NAMES`: the base environment of steps and sessions.
 * @module
 */
export { checkSpec, createExecaRunner } from './execa-runner.ts';
export {
  DEFAULT_EXIT_DRAIN_MS,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_LINE_LENGTH,
  DEFAULT_SHELL,
  DEFAULT_SPAWNER,
  resolveExecaRunnerOptions,
} from './runner-options.ts';
export type { ExecaRunnerOptions, ResolvedExecaRunnerOptions, Spawner } from './runner-options.ts';
export { LineSplitter, truncationMarker } from './line-splitter.ts';
export { isProcessGroupAlive, liveGroups, signalProcessGroup } from './process-group.ts';
export type { ProcessResult, ProcessRunner, ProcessSpec } from './types.ts';
export { createPidRegistry, processStartTime, type PidRegistry } from './pid-registry.ts';
export { describeSpawnError } from './process-run.ts';
export {
  BASE_ENV_NAMES,
  DEFAULT_PATH,
  baseEnvironment,
  passthroughNameProblem,
} from './base-env.ts';

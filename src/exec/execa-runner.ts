/**
 * The ProcessRunner: argv without a shell or a script under `shell -c`, streamed lines, timeout,
 * cancel, and no orphans (the whole process group is killed, TERM then KILL).
 * @module
 */
import { InvalidArgumentError, type FieldIssue } from '../errors.ts';
import type { ProcessResult, ProcessRunner, ProcessSpec } from './types.ts';
import { resolveExecaRunnerOptions, type ExecaRunnerOptions } from './runner-options.ts';
import { spawnerFor } from './spawn-child.ts';
import { createGroupWatcher } from './group-watcher.ts';
import { startProcessRun, type ProcessRun, type RunContext } from './process-run.ts';

/** Largest timer delay Node accepts (about 24.8 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Creates a process runner. Every child leads its own process group; `killAll()` stops every
 * live group (as a cancel) and resolves once each run has reported its result.
 */
export function createExecaRunner(options?: ExecaRunnerOptions): ProcessRunner {
  const opts = resolveExecaRunnerOptions(options);
  const ctx: RunContext = {
    opts,
    spawnChild: spawnerFor(opts.spawner),
    groups: createGroupWatcher(),
  };
  const live = new Set<ProcessRun>();

  return {
    run: function runProcess(spec: ProcessSpec): Promise<ProcessResult> {
      const issues = checkSpec(spec);
      if (issues.length > 0) return Promise.reject(InvalidArgumentError.format(issues));
      const handle = startProcessRun(spec, ctx);
      if (handle.pid === null) return handle.result;
      live.add(handle);
      return handle.result.finally(() => live.delete(handle));
    },
    killAll: async function killAllProcesses(): Promise<void> {
      const runs = [...live];
      for (const r of runs) r.cancel();
      await Promise.all(runs.map((r) => r.result));
    },
  };
}

/** Validates a spec by field; cheap enough for the hot path (no schema library). */
export function checkSpec(spec: ProcessSpec): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const hasArgv = spec.argv !== undefined;
  const hasScript = spec.script !== undefined;
  if (hasArgv === hasScript) {
    issues.push({ path: 'argv', message: 'exactly one of argv or script is required' });
  }
  if (hasArgv) {
    const argv = spec.argv as unknown;
    if (!Array.isArray(argv) || argv.length === 0 || argv.some((a) => typeof a !== 'string')) {
      issues.push({ path: 'argv', message: 'must be a non-empty array of strings' });
    } else if (argv[0] === '') {
      issues.push({ path: 'argv.0', message: 'program must not be empty' });
    }
  }
  if (hasScript && typeof spec.script !== 'string') {
    issues.push({ path: 'script', message: 'must be a string' });
  }
  if (spec.shell !== undefined && (typeof spec.shell !== 'string' || spec.shell === '')) {
    issues.push({ path: 'shell', message: 'must be a non-empty string' });
  }
  checkDuration(issues, 'timeoutMs', spec.timeoutMs, 1);
  checkDuration(issues, 'killGraceMs', spec.killGraceMs, 0);
  if (spec.env !== undefined) {
    for (const [k, v] of Object.entries(spec.env)) {
      if (typeof v !== 'string') issues.push({ path: `env.${k}`, message: 'must be a string' });
    }
  }
  return issues;
}

function checkDuration(issues: FieldIssue[], path: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
    issues.push({ path, message: `must be a number of ms between ${min} and ${MAX_TIMER_MS}` });
  }
}

/**
 * The `runAttempt` actor supplied to step machines: one attempt of one step. `exec` and `run`
 * go to the process runner (stopping the actor aborts its signal, which kills the process
 * group), `sleep` waits on the injected clock what is left of it, `noop` never gets here (the
 * step's `passing` state settles it).
 *
 * Every process is spawned under its attempt's key (`stepProcessKey`). With the process host as
 * runner that makes a spawn idempotent: an attempt a previous server started (or even just
 * asked for) is re-attached, never started twice; its output is replayed from the first line
 * not yet stored, and it ends with its real exit. A process lost with its host resolves `lost`.
 * The host forgets a keyed process only when told (`release`): after the step's next state is
 * stored (see create-stator.ts), or here when the attempt was stopped.
 * Output lines become `step.stdout` / `step.stderr` events straight into the pipeline.
 *
 * Outputs (attempt-outputs.ts): every attempt may write `$STATOR_OUTPUT`, a file of its own; an
 * `outputs: json` step's stdout is collected instead. They are read when the process exits 0
 * (masked like every line); outputs that cannot be read or parsed fail the step for good, since
 * running it again would write the same. Earlier steps' outputs reach the process as
 * `STEPS_<ID>_<KEY>` and its argv through `${{ steps.<id>.outputs.<key> }}`.
 *
 * Artifacts (attempt-artifacts.ts): a step that declares `artifacts:` has its files collected
 * once its process has ended, before its result is returned (never for other steps, never for
 * a cancelled or lost attempt); a `step.artifacts` event lists them.
 *
 * The process's environment is built, never inherited (`inheritEnv: false`): the base
 * environment, then what `stepEnvironment` adds (env, inputs, the run's secrets, STATOR_*). Every
 * line and error message of a run with secrets passes its masker first, so no value (or its
 * base64 or URL-encoded form) reaches the logs, events or records.
 * @module
 */
import { fromPromise } from 'xstate';
import { LOST_PROCESS } from '../../machines/step.machine.ts';
import type { AttemptInput, AttemptResult } from '../../machines/step.machine.ts';
import type { ProcessRunner } from '../exec/types.ts';
import type { PidRegistry } from '../exec/index.ts';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import type { WorkflowDefinition } from '../workflow/types.ts';
import { renderArgv, stepEnvironment } from '../workflow/index.ts';
import { toStatorError } from '../errors.ts';
import type { RunSecrets } from '../secrets/index.ts';
import type { EventPipeline } from './event-pipeline.ts';
import type { ExecutionEvent } from '../events.ts';
import { isCallStep, runCallAttempt, type CallDeps } from './calls/index.ts';
import type { ArtifactCollector } from '../artifacts/index.ts';
import { keepArtifacts } from './attempt-artifacts.ts';
import {
  dropOutputFile,
  lazyDirectory,
  outputFilePath,
  StdoutOutputs,
  takeOutputFile,
} from './attempt-outputs.ts';

/** What a step attempt needs from its run that is not in the step's context. */
export interface ExecutionContextLookup {
  (
    executionId: string,
  ):
    | { definition: WorkflowDefinition; inputs: Record<string, unknown>; secrets?: RunSecrets }
    | undefined;
}

/** Dependencies of the step actor. */
export interface AttemptActorDeps {
  runner: ProcessRunner;
  clock: Clock;
  pipeline: Pick<EventPipeline, 'emitExecution'>;
  executions: ExecutionContextLookup;
  killGraceMs: number;
  /** Notes live process groups on disk so a restart after a crash can kill leftovers. */
  pids?: PidRegistry;
  /** Where a resumed attempt's stored output is counted (to replay only what is missing). */
  store: Pick<Store, 'getLogs'>;
  /** Tells the process host to forget a keyed process (absent: the runner keeps nothing). */
  release?: (key: string) => void;
  /** What every step's environment starts from (see `baseEnvironment`). @default {} */
  baseEnv?: Readonly<Record<string, string>>;
  /**
   * Cluster fencing: resolves true once this node may start an attempt of the run (it holds the
   * run's lease and the attempt's start is stored), false if another node took the run over.
   * Absent: always allowed.
   */
  fence?: (executionId: string) => Promise<boolean>;
  /** Directory of the attempts' `$STATOR_OUTPUT` files (absent: steps get no such file). */
  outputDir?: string;
  /** What `http`, `nats` and `workflow` steps use (absent: only their events are emitted). */
  calls?: CallDeps;
  /** Keeps the files of steps that declare `artifacts:` (absent: none are kept). */
  artifacts?: ArtifactCollector;
}

/** The key of the process of attempt `attempt` of step `stepId` in `executionId`. */
export function stepProcessKey(executionId: string, stepId: string, attempt: number): string {
  return `step:${executionId}:${stepId}:${attempt}`;
}

const NOOP_OK: AttemptResult = { ok: true, exitCode: null };
/** Never recorded: the run is stopped here and its events dropped (another node runs it). */
const LEASE_LOST: AttemptResult = {
  ok: false,
  exitCode: null,
  error: 'the run is leased by another node',
  nonRetryable: true,
};

/** Builds the `runAttempt` actor logic. */
export function createAttemptActor(deps: AttemptActorDeps) {
  const outputDir = deps.outputDir === undefined ? undefined : lazyDirectory(deps.outputDir);
  const calls: CallDeps = deps.calls ?? {
    emit: (event) => deps.pipeline.emitExecution(event),
    settled: () => Promise.resolve(),
  };
  return fromPromise<AttemptResult, AttemptInput>(async function runAttempt({ input, signal }) {
    const { step, executionId, workflowId, attempt } = input;
    if (step.kind === 'noop') return NOOP_OK; // the step machine passes noops itself
    // Two nodes never run an attempt at once: a node that may have lost the run asks first.
    if (deps.fence && !(await deps.fence(executionId))) return LEASE_LOST;
    if (signal.aborted) return { ok: false, exitCode: null, error: 'cancelled' };

    if (step.kind === 'sleep') {
      return sleep(deps.clock, Math.max(0, step.sleepMs - input.elapsedMs), signal);
    }

    const run = deps.executions(executionId);
    if (!run)
      return { ok: false, exitCode: null, error: 'run context is gone', nonRetryable: true };
    // Never a step without the secrets it declares (they are resolved when the run starts).
    if (run.definition.secrets !== undefined && run.secrets === undefined) {
      return { ok: false, exitCode: null, error: 'secrets not resolved', nonRetryable: true };
    }
    if (isCallStep(step)) {
      const env = stepEnvironment({
        def: run.definition,
        step,
        executionId,
        attempt,
        inputs: run.inputs,
        outputs: input.outputs,
        ...(input.item && { item: input.item }),
        ...(deps.baseEnv && { base: deps.baseEnv }),
        ...(run.secrets && { secrets: run.secrets.env }),
      });
      const masker = run.secrets?.masker;
      const mask =
        masker === undefined || masker.empty ? noMask : (text: string) => masker.mask(text);
      const templates = {
        inputs: run.inputs,
        env,
        executionId,
        workflowId,
        stepId: step.id,
        outputs: input.outputs,
        ...(input.item && { item: input.item }),
      };
      const result = await runCallAttempt(calls, { ...input, step }, templates, mask, signal);
      return result.outputs ? { ...result, outputs: maskValues(result.outputs, mask) } : result;
    }
    const outputPath =
      outputDir === undefined
        ? undefined
        : outputFilePath(await outputDir(), executionId, step.id, attempt);
    // Built once: the process gets it, and `${{ env.X }}` in argv items reads it.
    const env = stepEnvironment({
      def: run.definition,
      step,
      executionId,
      attempt,
      inputs: run.inputs,
      outputs: input.outputs,
      ...(input.item && { item: input.item }),
      ...(outputPath !== undefined && { outputPath }),
      ...(deps.baseEnv && { base: deps.baseEnv }),
      ...(run.secrets && { secrets: run.secrets.env }),
    });
    const masker = run.secrets?.masker;
    const mask =
      masker === undefined || masker.empty ? noMask : (text: string) => masker.mask(text);
    let argv: string[] | undefined;
    try {
      argv =
        step.kind === 'exec'
          ? renderArgv(step.exec, {
              inputs: run.inputs,
              env,
              executionId,
              workflowId,
              stepId: step.id,
              outputs: input.outputs,
              ...(input.item && { item: input.item }),
            })
          : undefined;
    } catch (err) {
      const error = mask(toStatorError(err).message);
      return { ok: false, exitCode: null, error, nonRetryable: true };
    }
    const key = stepProcessKey(executionId, step.id, attempt);
    const stdout = step.outputs === 'json' ? new StdoutOutputs() : undefined;
    const fromOffset = input.resumed ? await storedLines(deps.store, input, stdout) : 0;
    let spawned: number | undefined;
    const result = await deps.runner.run({
      key,
      fromOffset,
      argv,
      script: step.kind === 'run' ? step.run : undefined,
      shell: step.kind === 'run' ? step.shell : undefined,
      cwd: step.cwd,
      env,
      inheritEnv: false,
      killGraceMs: deps.killGraceMs,
      signal,
      onSpawn: (pid) => {
        spawned = pid;
        deps.pids?.record(pid);
      },
      onLine: (stream, line) => {
        const masked = mask(line);
        if (stream === 'stdout') stdout?.add(masked);
        deps.pipeline.emitExecution({
          type: stream === 'stdout' ? 'step.stdout' : 'step.stderr',
          executionId,
          workflowId,
          stepId: step.id,
          attempt,
          line: masked,
        });
      },
    });
    if (spawned !== undefined) deps.pids?.forget(spawned);
    // A stopped attempt is never resumed; a finished one is released once its outcome is stored.
    if (signal.aborted) deps.release?.(key);
    if (result.lost) return { ok: false, exitCode: null, error: LOST_PROCESS, lost: true };
    if (result.spawnError) {
      return { ok: false, exitCode: null, error: mask(result.spawnError), nonRetryable: true };
    }
    // Off the hot path: only steps that declare artifacts, and not cut-off attempts.
    if (step.artifacts !== undefined && deps.artifacts && !result.cancelled && !signal.aborted) {
      const emit = (event: ExecutionEvent) => deps.pipeline.emitExecution(event);
      await keepArtifacts(
        deps.artifacts,
        {
          executionId,
          workflowId,
          stepId: step.id,
          attempt,
          cwd: step.cwd,
          patterns: step.artifacts,
        },
        emit,
      );
    }
    if (result.exitCode !== 0 || result.cancelled || signal.aborted) {
      if (outputPath !== undefined) await dropOutputFile(outputPath);
    }
    if (result.cancelled) return { ok: false, exitCode: result.exitCode, error: 'cancelled' };
    if (result.exitCode === 0) {
      const fromFile = outputPath === undefined ? undefined : await takeOutputFile(outputPath);
      const parsed = stdout ? stdout.parse() : fromFile;
      if (parsed === undefined) return { ok: true, exitCode: 0 };
      if (!parsed.ok) {
        return { ok: false, exitCode: 0, error: mask(parsed.error), nonRetryable: true };
      }
      return { ok: true, exitCode: 0, outputs: maskValues(parsed.outputs, mask) };
    }
    return {
      ok: false,
      exitCode: result.exitCode,
      error:
        result.exitCode === null
          ? `killed by ${result.signal ?? 'signal'}`
          : `exit code ${result.exitCode}`,
    };
  });
}

const noMask = (text: string) => text;

/** `outputs` with every string in it masked (a file's JSON is not masked as text). */
function maskValues(
  outputs: Record<string, unknown>,
  mask: (text: string) => string,
): Record<string, unknown> {
  if (mask === noMask) return outputs;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return mask(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(outputs) as Record<string, unknown>;
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<AttemptResult> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve({ ok: false, exitCode: null, error: 'cancelled' });
    const handle = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve({ ok: true, exitCode: null });
    }, ms);
    const onAbort = () => {
      clock.clearTimeout(handle);
      resolve({ ok: false, exitCode: null, error: 'cancelled' });
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Lines of this attempt the store already has: where a re-attach resumes the replay. Lines the
 * per-step bound dropped are counted when every kept line is this attempt's.
 */
async function storedLines(
  store: Pick<Store, 'getLogs'>,
  input: { executionId: string; step: { id: string }; attempt: number },
  stdout: StdoutOutputs | undefined,
): Promise<number> {
  const logs = await store.getLogs(input.executionId, { stepId: input.step.id });
  let mine = 0;
  for (const l of logs.lines) {
    if (l.attempt !== input.attempt) continue;
    mine++;
    // The stdout of an `outputs: json` step before the restart is part of its outputs.
    if (l.stream === 'stdout') stdout?.add(l.line);
  }
  const dropped = logs.truncated[input.step.id] ?? 0;
  return mine === logs.lines.length ? mine + dropped : mine;
}

/**
 * The instances of a forEach step, kept like the ledger in O(1) per instance event: a cursor over
 * the items, a live count bounded by the step's concurrency, the outputs by index, and the first
 * failure. Instance `n` of step `x` is a step of its own, id `x[n]`, with its own record, retries
 * and resumption; the step `x` stays `running` (one live step of the run) until every instance
 * has succeeded, or one has failed and the live ones have stopped. Instances a previous process
 * finished are never run again: beginFanOut reads their records once.
 * @module
 */
import type { StepStatus } from '../src/store/index.ts';
import type { ExecutionLedger, ResumedStep } from './execution-ledger.ts';
import { MAX_LOST_ATTEMPTS, type StepFinalStatus, type StepOutput } from './step.machine.ts';

/**
 * JSON bytes the list of a forEach step's outputs may take: the bound of one step's outputs
 * (MAX_OUTPUT_BYTES of src/workflow, which machines may not import).
 */
export const MAX_FAN_OUT_OUTPUT_BYTES = 1_048_576;

/** Why a fan-out fails. */
export interface FanOutFailure {
  status: StepFinalStatus;
  error: string;
  exitCode: number | null;
}

/** One forEach step's instances (JSON-serialisable, updated in place). */
export interface FanOut {
  /** The step's definition index. */
  step: number;
  stepId: string;
  items: unknown[];
  concurrency: number;
  /** Next index to consider starting. */
  next: number;
  /** Instances running. */
  live: number;
  /** Outputs by index; null until the instance succeeded. */
  outputs: Array<Record<string, unknown> | null>;
  succeeded: number;
  /** JSON bytes of the outputs so far. */
  bytes: number;
  failure: FanOutFailure | null;
}

/** The step id of instance `index` of `stepId` (as src/workflow/for-each.ts instanceStepId). */
export function instanceId(stepId: string, index: number): string {
  return `${stepId}[${index}]`;
}

/**
 * Starts tracking step `i`'s instances over `items`. `prior` gives an instance's state from a
 * previous process: a succeeded one keeps its outputs and never runs again, a failed one fails
 * the fan-out (no new instance starts), any other runs (again, or on where it was).
 */
export function beginFanOut(
  ledger: ExecutionLedger,
  i: number,
  stepId: string,
  items: unknown[],
  concurrency: number,
  prior?: (id: string) => ResumedStep | undefined,
): FanOut {
  const fan: FanOut = {
    step: i,
    stepId,
    items,
    concurrency: Math.max(1, concurrency),
    next: 0,
    live: 0,
    outputs: new Array<Record<string, unknown> | null>(items.length).fill(null),
    succeeded: 0,
    bytes: 0,
    failure: null,
  };
  if (prior) {
    for (let n = 0; n < items.length; n++) {
      const p = prior(instanceId(stepId, n));
      if (p === undefined) continue;
      if (p.status === 'succeeded') addOutputs(fan, n, p.outputs);
      else if (p.status === 'failed' || p.status === 'timed_out') {
        fan.failure ??= failureOf(fan, n, p.status, null, null);
      } else if (p.status === 'interrupted' && (p.lostAttempts ?? 0) > MAX_LOST_ATTEMPTS) {
        fan.failure ??= failureOf(fan, n, 'interrupted', null, null);
      }
    }
  }
  ledger.fanOuts.push(fan);
  return fan;
}

/**
 * The next instance to start, counted live; undefined when the fan-out is at its concurrency,
 * has failed, or has started every instance.
 */
export function takeInstance(fan: FanOut): number | undefined {
  if (fan.failure !== null || fan.live >= fan.concurrency) return undefined;
  while (fan.next < fan.items.length && fan.outputs[fan.next] !== null) fan.next++;
  if (fan.next >= fan.items.length) return undefined;
  fan.live++;
  return fan.next++;
}

/** Records how instance `n` ended; the first failure (or the outputs bound) fails the fan-out. */
export function settleInstance(fan: FanOut, n: number, out: StepOutput): void {
  fan.live--;
  if (out.status === 'succeeded') {
    addOutputs(fan, n, out.outputs);
    return;
  }
  fan.failure ??= failureOf(fan, n, out.status, out.error, out.exitCode);
}

/** True once every instance succeeded, or one failed and none is left running. */
export function fanOutDone(fan: FanOut): boolean {
  return fan.live === 0 && (fan.failure !== null || fan.succeeded === fan.items.length);
}

/** Stops tracking a fan-out that is done (or abandoned). */
export function endFanOut(ledger: ExecutionLedger, fan: FanOut): void {
  const at = ledger.fanOuts.indexOf(fan);
  if (at >= 0) ledger.fanOuts.splice(at, 1);
}

/** The fan-out of step `i`, if its instances are running. */
export function fanOutOf(ledger: ExecutionLedger, i: number): FanOut | undefined {
  return ledger.fanOuts.find((f) => f.step === i);
}

/** The outputs of a fan-out that succeeded: one entry per item, `{}` for an instance without. */
export function fanOutOutputs(fan: FanOut): Array<Record<string, unknown>> {
  return fan.outputs.map((o) => o ?? {});
}

function addOutputs(fan: FanOut, n: number, outputs: Record<string, unknown> | undefined): void {
  const o = outputs ?? {};
  if (fan.outputs[n] === null) fan.succeeded++;
  fan.outputs[n] = o;
  fan.bytes += outputs === undefined ? 3 : utf8Length(JSON.stringify(o)) + 1;
  if (fan.bytes > MAX_FAN_OUT_OUTPUT_BYTES && fan.failure === null) {
    fan.failure = {
      status: 'failed',
      error: `outputs: the outputs of its instances take more than ${MAX_FAN_OUT_OUTPUT_BYTES} bytes; at most ${MAX_FAN_OUT_OUTPUT_BYTES} are kept per step`,
      exitCode: null,
    };
  }
}

function failureOf(
  fan: FanOut,
  n: number,
  status: StepStatus,
  error: string | null,
  exitCode: number | null,
): FanOutFailure {
  const what =
    status === 'timed_out'
      ? 'timed out'
      : status === 'cancelled'
        ? 'was cancelled'
        : status === 'interrupted'
          ? 'was interrupted'
          : 'failed';
  return {
    status: status === 'timed_out' ? 'timed_out' : 'failed',
    error: `instance ${instanceId(fan.stepId, n)} ${what}${error ? `: ${error}` : ''}`,
    exitCode,
  };
}

/** Bytes of `text` as UTF-8 (machines have no Buffer). */
function utf8Length(text: string): number {
  let bytes = text.length;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c >= 0x80) bytes += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return bytes;
}

/**
 * The progress of one run's DAG, kept in O(1) per step event: unmet-dependency counters, a
 * ready queue with a moving head, and one status per step. A workflow run updates it in place
 * inside its `assign` actions: copying a 10,000-entry structure on every step event would make
 * a run quadratic (DESIGN.md §7). It stays plain JSON (arrays and numbers), and its owner never
 * persists it per event: step records in the store are the durable truth.
 * @module
 */
import type { StepDefinition } from '../src/workflow/types.ts';
import type { StepStatus } from '../src/store/index.ts';
import { MAX_LOST_ATTEMPTS, type ResumedAttempt } from './step.machine.ts';
import type { FanOut } from './fan-out.ts';

/** Mutable run progress (JSON-serialisable). */
export interface ExecutionLedger {
  /** Step status by definition index. */
  status: StepStatus[];
  /** Attempts used by each step (from a previous process when rehydrated). */
  attemptsUsed: number[];
  /**
   * By step: its last attempt was cut off by the stop of the process running it, and it runs
   * again (its step actor starts `interrupted`). Empty unless the run was resumed.
   */
  interrupted: boolean[];
  /** By step: attempts lost with their process. Empty unless the run was resumed. */
  lostAttempts: number[];
  /** By step: the attempt or backoff a previous process left going. Empty unless resumed. */
  resumed: Array<ResumedAttempt | null>;
  /** Unmet dependencies per step. */
  remaining: number[];
  /** Needs of each step that ended skipped, and that ended failed (tolerated), so far. */
  skippedNeeds: number[];
  failedNeeds: number[];
  /**
   * Steps whose needs have all ended but not as their `when` asks: they are skipped (and so
   * are their own dependents, in turn) by the owner, which drains this queue.
   */
  skips: number[];
  /** Indices of dependents per step. */
  dependents: number[][];
  /** Steps whose dependencies are met, in release order; `readyHead` is the next to start. */
  ready: number[];
  readyHead: number;
  /** Steps spawned and not yet settled. */
  live: number;
  /** Steps settled (any final status). */
  settled: number;
  /** Index of the first step whose failure fails the run, or -1. */
  failedAt: number;
  /**
   * Step index held by each step slot, or -1 when the slot is free. Step actors are named by
   * slot, not by step: a fixed, small set of child ids keeps the parent's children map the same
   * shape from one spawn to the next (a new key per step costs V8 a new object shape each time).
   */
  slotStep: number[];
  /** Free slots, reused before a new slot is opened. */
  freeSlots: number[];
  /**
   * Outputs of succeeded steps by step id: what later steps read (`STEPS_<ID>_<KEY>`,
   * `${{ steps.<id>.outputs.<key> }}`). Grows in place; handed to each step as it starts.
   */
  outputs: Record<string, Record<string, unknown>>;
  /** forEach steps whose instances are running (few: each is one live step of the run). */
  fanOuts: FanOut[];
  /**
   * Instance index held by each step slot whose step is a forEach step's instance, else -1
   * (see ExecutionLedger.slotStep).
   */
  slotInstance: number[];
  /** Steps that succeeded, in the order they completed (their rollbacks run in reverse). */
  completed: number[];
  /** Settled and live counts last reported by `execution.progress` (-1: none yet). */
  reportedSettled: number;
  reportedLive: number;
}

/**
 * Whether `execution.progress` is due: none reported yet, or the settled count entered a new
 * percent of the total, or every step has settled (the last report is always exact). Never for
 * a single-step run: its step events say all a progress event would, and each event is stored
 * and fanned out (two of a one-step run's seven events were progress).
 */
export function progressWorthReporting(ledger: ExecutionLedger): boolean {
  const { settled, reportedSettled } = ledger;
  const total = ledger.status.length;
  if (total <= 1) return false;
  if (reportedSettled < 0) return true;
  if (settled === reportedSettled) return false;
  if (settled === total) return true;
  return Math.floor((settled * 100) / total) !== Math.floor((reportedSettled * 100) / total);
}

/** Prior state of a step when a run is resumed after a restart. */
export interface ResumedStep {
  status: StepStatus;
  attempts: number;
  /** @default 0 */
  lostAttempts?: number;
  /** A `running` or `retrying` step that goes on where it was (durable processes and time). */
  attempt?: ResumedAttempt;
  /** A succeeded step's outputs. */
  outputs?: Record<string, unknown>;
  /** When it ended (ISO-8601): orders the resumed succeeded steps by completion. */
  finishedAt?: string | null;
}

const DONE: ReadonlySet<StepStatus> = new Set([
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
  'timed_out',
  'interrupted',
]);

/** True for statuses after which a step never runs again. */
export function isSettled(status: StepStatus): boolean {
  return DONE.has(status);
}

/**
 * Builds the ledger; steps settled in `resume` stay settled and release their dependents. A step
 * resumed `interrupted` (its process was lost) runs again while it has lost fewer than
 * MAX_LOST_ATTEMPTS + 1 attempts; otherwise it stays settled `interrupted`. A step resumed with
 * an `attempt` goes on with it: the same attempt number running, or the rest of its backoff.
 */
export function createLedger(
  steps: readonly StepDefinition[],
  resume?: Record<string, ResumedStep>,
): ExecutionLedger {
  const index = new Map<string, number>();
  steps.forEach((s, i) => index.set(s.id, i));
  const dependents: number[][] = steps.map(() => []);
  const remaining = steps.map((s, i) => {
    for (const need of s.needs) dependents[index.get(need)!]!.push(i);
    return s.needs.length;
  });
  const ledger: ExecutionLedger = {
    status: steps.map(() => 'pending'),
    attemptsUsed: steps.map((s) => resume?.[s.id]?.attempts ?? 0),
    interrupted: resume ? steps.map(() => false) : [],
    lostAttempts: resume ? steps.map((s) => resume[s.id]?.lostAttempts ?? 0) : [],
    resumed: resume ? steps.map(() => null) : [],
    remaining,
    skippedNeeds: steps.map(() => 0),
    failedNeeds: steps.map(() => 0),
    skips: [],
    dependents,
    ready: [],
    readyHead: 0,
    live: 0,
    settled: 0,
    failedAt: -1,
    slotStep: [],
    freeSlots: [],
    outputs: {},
    fanOuts: [],
    slotInstance: [],
    completed: [],
    reportedSettled: -1,
    reportedLive: -1,
  };
  // Settle what a previous process finished, then queue every step whose needs are met.
  for (let i = 0; i < steps.length; i++) {
    const prior = resume?.[steps[i]!.id];
    if (!prior) continue;
    if (prior.status === 'succeeded' && prior.outputs) ledger.outputs[steps[i]!.id] = prior.outputs;
    if (prior.status === 'interrupted' && (prior.lostAttempts ?? 0) <= MAX_LOST_ATTEMPTS) {
      ledger.interrupted[i] = true;
    } else if (isSettled(prior.status)) settle(ledger, steps, i, prior.status);
    else if (prior.attempt) {
      ledger.resumed[i] = prior.attempt;
      // The running attempt goes on under its own number: the step machine begins it again.
      if (prior.attempt.state === 'running')
        ledger.attemptsUsed[i] = Math.max(0, prior.attempts - 1);
    }
  }
  // Resumed successes completed in the order they finished (ISO times sort as strings).
  if (resume && ledger.completed.length > 1) {
    const at = (i: number): string => resume[steps[i]!.id]?.finishedAt ?? '';
    ledger.completed.sort((a, b) => (at(a) < at(b) ? -1 : at(a) > at(b) ? 1 : a - b));
  }
  // settle() queued what it released; rebuild the queues once, in definition order.
  ledger.ready = [];
  ledger.readyHead = 0;
  ledger.skips = [];
  for (let i = 0; i < steps.length; i++) {
    if (ledger.remaining[i] !== 0 || ledger.status[i] !== 'pending') continue;
    if (admits(ledger, steps, i)) ledger.ready.push(i);
    else ledger.skips.push(i);
  }
  return ledger;
}

/** The step takeReady would start next, without taking it. */
export function peekReady(ledger: ExecutionLedger): number | undefined {
  if (ledger.failedAt >= 0) return undefined;
  for (let h = ledger.readyHead; h < ledger.ready.length; h++) {
    const candidate = ledger.ready[h]!;
    if (ledger.status[candidate] === 'pending') return candidate;
  }
  return undefined;
}

/** Takes the next ready step index, marking it running; undefined when none is ready. */
export function takeReady(ledger: ExecutionLedger): number | undefined {
  if (ledger.failedAt >= 0) return undefined;
  let i: number | undefined;
  // Skip entries that are no longer pending (defensive: a step is started at most once).
  while (ledger.readyHead < ledger.ready.length) {
    const candidate = ledger.ready[ledger.readyHead++]!;
    if (ledger.status[candidate] === 'pending') {
      i = candidate;
      break;
    }
  }
  if (i === undefined) return undefined;
  ledger.status[i] = 'running';
  ledger.live++;
  // Drop the consumed prefix now and then so the queue does not grow without bound.
  if (ledger.readyHead > 1024 && ledger.readyHead * 2 > ledger.ready.length) {
    ledger.ready = ledger.ready.slice(ledger.readyHead);
    ledger.readyHead = 0;
  }
  return i;
}

/**
 * Gives step `i` (or its instance `instance` when it is a forEach step) a step slot, a free one
 * or a new one, and returns the slot.
 */
export function occupySlot(ledger: ExecutionLedger, i: number, instance = -1): number {
  const slot = ledger.freeSlots.pop() ?? ledger.slotStep.length;
  ledger.slotStep[slot] = i;
  ledger.slotInstance[slot] = instance;
  return slot;
}

/** Frees `slot`; returns the step index it held, or undefined if it held none. */
export function releaseSlot(ledger: ExecutionLedger, slot: number): number | undefined {
  const i = ledger.slotStep[slot];
  if (i === undefined || i < 0) return undefined;
  ledger.slotStep[slot] = -1;
  ledger.freeSlots.push(slot);
  return i;
}

/** True when step `i`, its needs all ended, runs under its `when` (see NeedsWhen). */
function admits(ledger: ExecutionLedger, steps: readonly StepDefinition[], i: number): boolean {
  switch (steps[i]!.when ?? 'success') {
    case 'success':
      return ledger.skippedNeeds[i] === 0;
    case 'failure':
      return ledger.failedNeeds[i]! > 0;
    case 'always':
      return true;
  }
}

/**
 * Takes the next step whose needs ended but not as it asks, marking it skipped (its own
 * dependents counted in turn); undefined when none is left.
 */
export function takeSkip(
  ledger: ExecutionLedger,
  steps: readonly StepDefinition[],
): number | undefined {
  while (ledger.skips.length > 0) {
    const i = ledger.skips.shift()!;
    if (ledger.status[i] !== 'pending') continue;
    settle(ledger, steps, i, 'skipped');
    return i;
  }
  return undefined;
}

/**
 * Records a step's final status. Success (or a tolerated failure, or a skip) ends a need of
 * each dependent; a dependent whose needs have all ended becomes ready, or is queued to be
 * skipped when they did not end as its `when` asks. An intolerable failure marks the run
 * failed. Returns the indices that became ready.
 */
export function settle(
  ledger: ExecutionLedger,
  steps: readonly StepDefinition[],
  i: number,
  status: StepStatus,
): number[] {
  if (ledger.status[i] === 'running') ledger.live--;
  ledger.status[i] = status;
  ledger.settled++;
  if (status === 'succeeded') ledger.completed.push(i);
  const tolerated = status === 'succeeded' || status === 'skipped' || steps[i]!.continueOnError;
  if (!tolerated) {
    if (ledger.failedAt < 0) ledger.failedAt = i;
    return [];
  }
  const released: number[] = [];
  for (const d of ledger.dependents[i]!) {
    if (status === 'skipped') ledger.skippedNeeds[d]!++;
    else if (status !== 'succeeded') ledger.failedNeeds[d]!++;
    if (--ledger.remaining[d]! === 0 && ledger.status[d] === 'pending') {
      if (!admits(ledger, steps, d)) {
        ledger.skips.push(d);
        continue;
      }
      ledger.ready.push(d);
      released.push(d);
    }
  }
  return released;
}

/** True when every step has settled. */
export function allSettled(ledger: ExecutionLedger): boolean {
  return ledger.settled === ledger.status.length;
}

/** Indices of steps still running (live). */
export function liveSteps(ledger: ExecutionLedger): number[] {
  const out: number[] = [];
  for (let i = 0; i < ledger.status.length; i++) if (ledger.status[i] === 'running') out.push(i);
  return out;
}

/** Indices of steps that never started. */
export function unstartedSteps(ledger: ExecutionLedger): number[] {
  const out: number[] = [];
  for (let i = 0; i < ledger.status.length; i++) if (ledger.status[i] === 'pending') out.push(i);
  return out;
}

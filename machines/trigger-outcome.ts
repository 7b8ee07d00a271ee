/**
 * What a trigger fire is and what it did: the request the runtime hands the trigger machine,
 * the outcome its `startRun` actor resolves with, and the pure mappings from an outcome to the
 * persisted last result and to the outbound `trigger.*` event. No I/O.
 * @module
 */
import type {
  TriggerEvent,
  TriggerFireSource,
  TriggerRejectReason,
  TriggerSkipReason,
} from '../src/events.ts';
import type { ErrorCode, WireError } from '../src/errors.ts';
import type { TriggerState } from '../src/store/index.ts';

/** One fire, as the runtime hands it to the trigger. */
export interface FireRequest {
  /** Correlates the outcome with whoever waits for it. */
  fireId: string;
  source: TriggerFireSource;
  /** The tick (cron) or the arrival time, ms since the epoch. */
  at: number;
  /** Input of the run (messages and manual fires). */
  input?: Record<string, unknown>;
  /** Execution id to use (e.g. reserved by a webhook's Idempotency-Key). */
  executionId?: string;
  /** 1 for the first try of a tick, then 2, 3, ... for its retries. */
  attempt?: number;
  /**
   * Makes the run's creation idempotent (`workflow.execute`'s `idempotencyKey`): a JetStream
   * trigger passes its message's stream sequence, so a redelivered message finds its run.
   */
  idempotencyKey?: string;
}

/** A message refused before it could fire (not JSON, not an object, or bad inputs). */
export interface RejectedMessage {
  source: TriggerFireSource;
  /** Arrival time, ms since the epoch. */
  at: number;
  subject: string;
  reason: TriggerRejectReason;
  error: WireError;
}

/** What one fire did. */
export type FireOutcome =
  | { status: 'started'; executionId: string; cancelled?: string[] }
  | { status: 'queued'; executionId: string; position: number }
  | { status: 'skipped'; reason: TriggerSkipReason; message: string }
  | { status: 'failed'; error: WireError };

/** What the `startRun` actor receives; it resolves with one outcome per fire, in order. */
export interface StartRunInput {
  triggerId: string;
  workflowId: string;
  kind: string;
  /** One tick or manual fire, or up to `maxBatch` message fires. */
  fires: FireRequest[];
}

/** The last outcome as persisted. */
export type TriggerResult = NonNullable<TriggerState['lastResult']>;

/** True for a fire of the trigger's own schedule (a tick or a catch-up of one). */
export const isTick = (fire: FireRequest | null | undefined): boolean =>
  fire?.source === 'schedule' || fire?.source === 'catch_up';

/** The persisted form of an outcome. */
export function resultOf(outcome: FireOutcome): TriggerResult {
  switch (outcome.status) {
    case 'started':
    case 'queued':
      return { status: outcome.status, executionId: outcome.executionId };
    case 'skipped':
      return { status: 'skipped', reason: outcome.reason };
    case 'failed':
      return { status: 'failed', reason: outcome.error.message };
  }
}

/** The outbound event of an outcome. */
export function outcomeEvent(
  ctx: { triggerId: string; workflowId: string; kind: string },
  fire: FireRequest,
  outcome: FireOutcome,
  extra: { queued?: boolean; willRetry?: boolean } = {},
): TriggerEvent {
  const base = {
    triggerId: ctx.triggerId,
    workflowId: ctx.workflowId,
    kind: ctx.kind,
    origin: fire.source,
    scheduledAt: new Date(fire.at).toISOString(),
  };
  switch (outcome.status) {
    case 'started':
      return {
        ...base,
        type: 'trigger.fired',
        executionId: outcome.executionId,
        ...(extra.queued && { queued: true }),
        ...(outcome.cancelled?.length && { cancelled: outcome.cancelled }),
      };
    case 'queued':
      return { ...base, type: 'trigger.queued', ...outcome };
    case 'skipped':
      return { ...base, type: 'trigger.skipped', reason: outcome.reason, message: outcome.message };
    case 'failed':
      return {
        ...base,
        type: 'trigger.error',
        error: outcome.error,
        attempt: fire.attempt ?? 1,
        willRetry: extra.willRetry ?? false,
      };
  }
}

/** The outbound event of a rejected message. */
export function rejectedEvent(
  ctx: { triggerId: string; workflowId: string; kind: string },
  rejected: RejectedMessage,
): TriggerEvent {
  return {
    type: 'trigger.rejected',
    triggerId: ctx.triggerId,
    workflowId: ctx.workflowId,
    kind: ctx.kind,
    origin: rejected.source,
    scheduledAt: new Date(rejected.at).toISOString(),
    reason: rejected.reason,
    message: rejected.error.message,
    subject: rejected.subject,
    error: rejected.error,
  };
}

/** The failure of a fire whose decision outlasted `timeoutMs` (the trigger moved on). */
export function fireTimedOut(timeoutMs: number): WireError {
  return {
    code: 'timeout',
    message: `starting the run took over ${timeoutMs} ms; the trigger moved on`,
    details: { timeoutMs },
    recoverable: true,
  };
}

/** A rejection of `startRun` as a wire error (a StatorError keeps its code). */
export function toWireError(err: unknown): WireError {
  if (typeof err !== 'object' || err === null) {
    return { code: 'internal', message: String(err), recoverable: true };
  }
  const message = 'message' in err ? err.message : undefined;
  if ('code' in err && typeof err.code === 'string' && typeof message === 'string') {
    return {
      // Only a StatorError carries a string `code` here, one of the closed set; machines/ may not
      // import the runtime's list of codes to check it.
      code: err.code as ErrorCode,
      message,
      recoverable: 'recoverable' in err && err.recoverable === true,
      ...('details' in err && err.details !== undefined && { details: err.details }),
    };
  }
  return { code: 'internal', message: String(message ?? err), recoverable: true };
}

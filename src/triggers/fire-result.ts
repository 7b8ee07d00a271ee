/**
 * What callers of a fire receive: `trigger.fire` answers the outcome (started, queued or
 * skipped, failures thrown as their StatorError); message-driven fires (webhooks, NATS) answer
 * an execution id or an error: a paused trigger or a fire refused by the overlap policy is a
 * ConflictError, a trigger with too many fires waiting is UnavailableError (retry later).
 * @module
 */
import { ConflictError, StatorError, UnavailableError } from '../errors.ts';
import type { FireOutcome, FireResult } from './types.ts';

/** The outcome as `trigger.fire` answers it; throws the error of a failed fire. */
export function toFireResult(triggerId: string, outcome: FireOutcome): FireResult {
  if (outcome.status === 'failed') throw errorOf(outcome.error);
  return { triggerId, ...outcome };
}

/** The execution id a message-driven fire answers; throws when it started nothing. */
export function toStartedRun(
  triggerId: string,
  outcome: FireOutcome,
): { executionId: string; queued?: true } {
  switch (outcome.status) {
    case 'started':
      return { executionId: outcome.executionId };
    case 'queued':
      return { executionId: outcome.executionId, queued: true };
    case 'skipped':
      if (outcome.reason === 'busy') {
        throw new UnavailableError(`trigger '${triggerId}': ${outcome.message}`);
      }
      throw new ConflictError(`trigger '${triggerId}' started nothing: ${outcome.message}`, {
        triggerId,
        reason: outcome.reason,
      });
    case 'failed':
      throw errorOf(outcome.error);
  }
}

function errorOf(error: Extract<FireOutcome, { status: 'failed' }>['error']): StatorError {
  return new StatorError(error.code, error.message, {
    details: error.details,
    recoverable: error.recoverable,
  });
}

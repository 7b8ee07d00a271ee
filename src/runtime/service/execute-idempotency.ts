/**
 * `Idempotency-Key` of `execute`: the key is claimed in the store (`claimIdempotencyKey`, scope
 * `execute:<workflowId>`) with the execution id the run will get, before anything else is
 * written. The first claim of a key within its retention starts the run; a repeat finds the
 * claim and answers the first run's id. A claim whose run was never created (refused, or the
 * process died in between) is honoured by creating the run with the claimed id; the store's
 * unique execution ids settle a race between concurrent repeats (the loser sees `conflict` and
 * answers the winner's run as a replay). Within one process, repeats that arrive while the first
 * is still being admitted and written wait for it (`KeyFlights`) instead of racing it: they would
 * otherwise each hold a place in the queue's bound, and be refused `queue_full` for a run that
 * is being created.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Store } from '../../store/index.ts';
import type { ExecuteResult } from '../types.ts';

/** Longest workflow id used as is in a claim scope (a scope holds at most 256 characters). */
const MAX_SCOPE_ID = 200;

/** The claim scope of a workflow's execute keys: `execute:<id>`, or `execute#<sha256>` past 200. */
export function executeScope(workflowId: string): string {
  if (workflowId.length <= MAX_SCOPE_ID) return `execute:${workflowId}`;
  return `execute#${createHash('sha256').update(workflowId).digest('hex')}`;
}

/** One claim to make. */
export interface ExecuteClaim {
  workflowId: string;
  key: string;
  /** The claim scope. @default executeScope(workflowId) */
  scope?: string;
  /** The id the run gets if this claim is the first. */
  executionId: string;
  nowMs: number;
  retentionMs: number;
}

/** The claim's outcome: the run's id, and whether that run already exists (a replay). */
export interface ClaimedExecution {
  executionId: string;
  /** The key was claimed before and its run exists: answer it, start nothing. */
  replay: boolean;
}

/** Claims `key` for a run of `workflowId`. */
export async function claimExecuteKey(
  store: Pick<Store, 'claimIdempotencyKey' | 'getExecution'>,
  claim: ExecuteClaim,
): Promise<ClaimedExecution> {
  const { claim: held, created } = await store.claimIdempotencyKey({
    scope: claim.scope ?? executeScope(claim.workflowId),
    key: claim.key,
    executionId: claim.executionId,
    createdAt: new Date(claim.nowMs).toISOString(),
    expiresAt: new Date(claim.nowMs + claim.retentionMs).toISOString(),
  });
  const executionId = held.executionId;
  if (created) return { executionId, replay: false };
  return { executionId, replay: (await store.getExecution(executionId)) !== undefined };
}

/** The executes of one process in progress per workflow and key: a repeat waits for the first. */
export class KeyFlights {
  readonly #flights = new Map<string, Promise<ExecuteResult>>();

  /**
   * Runs `start` unless an execute with the same key is in progress here: then waits for it and
   * answers its run as a replay, or, when it failed, tries on its own (one at a time).
   */
  async run(
    workflowId: string,
    key: string,
    start: () => Promise<ExecuteResult>,
  ): Promise<ExecuteResult> {
    const id = `${workflowId}\n${key}`;
    for (;;) {
      const pending = this.#flights.get(id);
      if (pending === undefined) break;
      const first = await pending.then(
        (result) => result,
        () => undefined,
      );
      if (first) return { executionId: first.executionId, replayed: true };
      if (this.#flights.get(id) === pending) this.#flights.delete(id);
    }
    const attempt = start();
    this.#flights.set(id, attempt);
    try {
      return await attempt;
    } finally {
      if (this.#flights.get(id) === attempt) this.#flights.delete(id);
    }
  }
}

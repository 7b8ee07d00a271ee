/**
 * `execution.retry`: a new run of a finished run that did not complete (failed, cancelled,
 * timed_out; a completed one only with `from`), linked to it by `retryOf`. It keeps the steps
 * that succeeded and runs the others (retry-plan.ts), with the old run's input and, unless
 * `definition: 'latest'` asks for the workflow's current one, the definition stored with the old
 * run. The old run's record is never changed.
 *
 * With an `idempotencyKey` at most one retry run is made per key and old run within the
 * retention (claim scope `retry:<id>`, as execute-idempotency.ts does for execute): a repeat, or
 * a concurrent request with the same key, answers the first retry's id with `replayed: true`.
 * Without a key every request makes a new run.
 * @module
 */
import { createHash } from 'node:crypto';
import { ConflictError, toStatorError } from '../../errors.ts';
import { newId } from '../../ids.ts';
import type { ExecutionRecord, Store, WorkflowRecord } from '../../store/index.ts';
import { resolveInputs } from '../../workflow/index.ts';
import type { Clock } from '../../clock.ts';
import type { ExecuteResult, RetryOptions, RetryResult } from '../types.ts';
import { claimExecuteKey, KeyFlights } from './execute-idempotency.ts';
import { planRetry } from './retry-plan.ts';

/** What retries use. */
export interface ExecutionRetryContext {
  store: Pick<Store, 'getExecution' | 'claimIdempotencyKey'>;
  /** The old run; NotFoundError when there is none. */
  get(id: string): Promise<ExecutionRecord>;
  /** The workflow's current record (`definition: 'latest'`). */
  workflowFor(workflowId: string): Promise<WorkflowRecord>;
  /** Admits, records and queues a run (ExecutionService.startRecord). */
  startRecord(record: ExecutionRecord): Promise<ExecuteResult>;
  idempotencyRetentionMs: number;
  clock: Pick<Clock, 'now'>;
  assertOpen(): void;
}

/** Statuses a run may be retried from without `from`. */
const RETRYABLE = new Set(['failed', 'cancelled', 'timed_out']);

/** Longest execution id used as is in a claim scope (a scope holds at most 256 characters). */
const MAX_SCOPE_ID = 200;

/** The claim scope of a run's retry keys: `retry:<id>`, or `retry#<sha256>` past 200. */
export function retryScope(executionId: string): string {
  if (executionId.length <= MAX_SCOPE_ID) return `retry:${executionId}`;
  return `retry#${createHash('sha256').update(executionId).digest('hex')}`;
}

/** Starts retry runs. */
export class ExecutionRetry {
  readonly #flights = new KeyFlights();

  constructor(private readonly ctx: ExecutionRetryContext) {}

  /** Checks the old run and its `from`, then starts the retry (once per idempotency key). */
  async retry(id: string, opts: RetryOptions = {}): Promise<RetryResult> {
    this.ctx.assertOpen();
    const old = await this.ctx.get(id);
    if (!RETRYABLE.has(old.status) && !(old.status === 'completed' && opts.from !== undefined)) {
      throw new ConflictError(
        old.status === 'completed'
          ? `execution '${id}' completed; retry it with 'from' to run steps again`
          : `execution '${id}' is ${old.status}; only a finished run can be retried`,
        { id, status: old.status },
      );
    }
    const record = await this.#record(old, opts);
    const key = opts.idempotencyKey;
    if (key === undefined) return { ...(await this.ctx.startRecord(record)), retryOf: id };
    const scope = retryScope(id);
    const result = await this.#flights.run(scope, key, () => this.#startOnce(record, scope, key));
    return { ...result, retryOf: id };
  }

  /** The retry run's record: the old run's input, the definition asked for, the planned steps. */
  async #record(old: ExecutionRecord, opts: RetryOptions): Promise<ExecutionRecord> {
    const definition =
      opts.definition === 'latest'
        ? (await this.ctx.workflowFor(old.workflowId)).definition
        : old.definition;
    const plan = planRetry(old, definition, opts.from);
    return {
      id: newId('ex'),
      workflowId: old.workflowId,
      status: 'pending',
      input: definition === old.definition ? old.input : resolveInputs(definition, old.input),
      createdAt: new Date(this.ctx.clock.now()).toISOString(),
      startedAt: null,
      finishedAt: null,
      error: null,
      engineId: null,
      node: null,
      definition,
      steps: plan.steps,
      retryOf: old.id,
    };
  }

  /** Claims `key` and starts the run, or answers the run that holds the key. */
  async #startOnce(record: ExecutionRecord, scope: string, key: string): Promise<ExecuteResult> {
    const { executionId, replay } = await claimExecuteKey(this.ctx.store, {
      workflowId: record.workflowId,
      scope,
      key,
      executionId: record.id,
      nowMs: this.ctx.clock.now(),
      retentionMs: this.ctx.idempotencyRetentionMs,
    });
    if (replay) return { executionId, replayed: true };
    // A new claim, or one whose first attempt never created its run: create it under the
    // claimed id; a concurrent repeat that got there first makes the store refuse this one.
    try {
      return await this.ctx.startRecord({ ...record, id: executionId });
    } catch (err) {
      if (
        toStatorError(err).code === 'conflict' &&
        (await this.ctx.store.getExecution(executionId))
      ) {
        return { executionId, replayed: true };
      }
      throw err;
    }
  }
}

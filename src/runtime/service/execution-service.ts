/**
 * Starting and reading executions: `execute` records a run (`pending`) and queues it, the
 * reads go to the store, `logs` waits for buffered output first, and at start the store's
 * unfinished runs are queued again (embedded mode).
 *
 * Before a run is recorded, its `idempotencyKey` is claimed (execute-idempotency.ts: a repeat
 * answers the first run's id, `replayed: true`) and it passes admission (admission.ts: 429
 * `queue_full` past the node's or the workflow's bound), so a refused run leaves no record.
 * @module
 */
import type { Logger } from 'pino';
import { isValidToken } from '../../bus/subjects.ts';
import type { Clock } from '../../clock.ts';
import { InvalidArgumentError, NotFoundError, toStatorError, toWire } from '../../errors.ts';
import { newId } from '../../ids.ts';
import {
  pendingStep,
  type ExecutionQuery,
  type ExecutionRecord,
  type ExecutionSummary,
  type Page,
  type ParentLink,
  type Store,
  type WorkflowRecord,
} from '../../store/index.ts';
import { resolveInputs } from '../../workflow/index.ts';
import type { EventPipeline } from '../event-pipeline.ts';
import { formatLogs } from '../format-logs.ts';
import type { ExecuteOptions, ExecuteResult } from '../types.ts';
import type { WorkQueue } from '../work-queue/index.ts';
import { Admission } from './admission.ts';
import { claimExecuteKey, KeyFlights } from './execute-idempotency.ts';

/** What starting and reading executions use. */
export interface ExecutionServiceContext {
  store: Pick<
    Store,
    | 'createExecution'
    | 'updateExecution'
    | 'getExecution'
    | 'listExecutions'
    | 'listUnfinishedExecutions'
    | 'getLogs'
    | 'claimIdempotencyKey'
  >;
  queue: Pick<WorkQueue, 'push' | 'size' | 'sizeOf'>;
  /** Executions waiting in the queue before new ones are refused (429 `queue_full`). */
  queueLimit: number;
  /** How long an execute `idempotencyKey` is remembered, ms. */
  idempotencyRetentionMs: number;
  /** The work queue is this process's own (embedded): a run queued here runs here. */
  localQueue: boolean;
  /** Records created here and not yet adopted (see adopt-execution.ts). */
  created: Map<string, ExecutionRecord>;
  pipeline: Pick<EventPipeline, 'emit' | 'drain'>;
  /** The definition a new execution uses (the workflow catalog). */
  workflowFor(workflowId: string): Promise<WorkflowRecord>;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  /** Throws `shutting_down` while the service is closing. */
  assertOpen(): void;
}

/** Records and queues executions; reads them back. */
export class ExecutionService {
  readonly #admission: Admission;
  readonly #flights = new KeyFlights();

  constructor(private readonly ctx: ExecutionServiceContext) {
    this.#admission = new Admission({ queue: ctx.queue, queueLimit: ctx.queueLimit });
  }

  /**
   * Validates the input, claims the idempotency key if any, admits, records the run
   * (`pending`) and queues it.
   */
  async execute(
    workflowId: string,
    input: Record<string, unknown> = {},
    opts: ExecuteOptions = {},
  ): Promise<ExecuteResult> {
    this.ctx.assertOpen();
    const workflow = await this.ctx.workflowFor(workflowId);
    const inputs = resolveInputs(workflow.definition, input);
    const proposedId = opts.executionId ?? newId('ex');
    if (!isValidToken(proposedId)) {
      throw InvalidArgumentError.format([{ path: 'executionId', message: 'not a valid id' }]);
    }
    const key = opts.idempotencyKey;
    const parent = opts.parent;
    if (key === undefined) return this.#start(workflow, inputs, proposedId, parent);
    return this.#flights.run(workflowId, key, () =>
      this.#startOnce(workflow, inputs, proposedId, key, parent),
    );
  }

  /** Claims `key` and starts the run, or answers the run that holds the key. */
  async #startOnce(
    workflow: WorkflowRecord,
    inputs: Record<string, unknown>,
    proposedId: string,
    key: string,
    parent?: ParentLink,
  ): Promise<ExecuteResult> {
    const { executionId, replay } = await claimExecuteKey(this.ctx.store, {
      workflowId: workflow.id,
      key,
      executionId: proposedId,
      nowMs: this.ctx.clock.now(),
      retentionMs: this.ctx.idempotencyRetentionMs,
    });
    if (replay) return { executionId, replayed: true };
    // A new claim, or one whose first attempt never created its run: create it with the
    // claimed id; a concurrent repeat that got there first makes the store refuse this one.
    try {
      return await this.#start(workflow, inputs, executionId, parent);
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

  /** Admits, records and queues one run. */
  #start(
    workflow: WorkflowRecord,
    inputs: Record<string, unknown>,
    executionId: string,
    parent?: ParentLink,
  ): Promise<ExecuteResult> {
    return this.startRecord({
      id: executionId,
      workflowId: workflow.id,
      status: 'pending',
      input: inputs,
      createdAt: new Date(this.ctx.clock.now()).toISOString(),
      startedAt: null,
      finishedAt: null,
      error: null,
      engineId: null,
      node: null,
      definition: workflow.definition,
      steps: workflow.definition.steps.map((s) => pendingStep(s.id)),
      ...(parent !== undefined && { parent }),
    });
  }

  /**
   * Admits, records and queues the run `record` describes (`pending`; its steps as they start:
   * all pending, or some already settled for a retry). ConflictError when its id exists.
   */
  async startRecord(record: ExecutionRecord): Promise<ExecuteResult> {
    const { workflowId, id: executionId } = record;
    // Refused here, a run leaves nothing behind: no record, no queued item.
    const ticket = this.#admission.admit(workflowId, record.definition.maxQueuedExecutions);
    try {
      // Checked again right before the record is written: a shutdown may have begun meanwhile.
      // Past this point the run is accepted: stored `pending`, it runs here or after a restart.
      this.ctx.assertOpen();
      await this.ctx.store.createExecution(record);
      // Only an in-process queue is sure to hand the run to this process; in a cluster another
      // process may take it, and a cached copy here would go stale.
      if (this.ctx.localQueue) this.ctx.created.set(executionId, record);
      await this.#queue(workflowId, executionId);
    } finally {
      ticket();
    }
    this.ctx.pipeline.emit('execution', executionId, {
      type: 'execution.queued',
      executionId,
      workflowId,
      ...(record.retryOf !== undefined && { retryOf: record.retryOf }),
    });
    return { executionId };
  }

  async #queue(workflowId: string, executionId: string): Promise<void> {
    const { store, queue, created, clock } = this.ctx;
    try {
      await queue.push({ executionId, workflowId });
    } catch (err) {
      // Not queued: the record must not stay pending forever.
      created.delete(executionId);
      await store.updateExecution(executionId, {
        status: 'failed',
        finishedAt: new Date(clock.now()).toISOString(),
        error: toWire(err),
      });
      throw err;
    }
  }

  /**
   * Queues every run the store holds as unfinished (embedded mode, at start), past the queue's
   * bound if need be: they were accepted (those queued and those running at the crash can
   * together exceed it).
   */
  async requeueUnfinished(): Promise<number> {
    const { store, queue, logger } = this.ctx;
    const unfinished = await store.listUnfinishedExecutions();
    let queued = 0;
    for (const record of unfinished) {
      try {
        await queue.push(
          { executionId: record.id, workflowId: record.workflowId },
          { overLimit: true },
        );
        queued++;
      } catch (err) {
        logger.error({ err, executionId: record.id }, 'could not requeue a run');
      }
    }
    if (queued) logger.info({ queued }, 'requeued unfinished executions');
    return queued;
  }

  /** The stored record; NotFoundError when there is none. */
  async get(id: string): Promise<ExecutionRecord> {
    const record = await this.ctx.store.getExecution(id);
    if (!record) throw new NotFoundError('execution', id);
    return record;
  }

  list(query?: ExecutionQuery): Promise<Page<ExecutionSummary>> {
    return this.ctx.store.listExecutions(query);
  }

  /** The run's logs as text, buffered output included. */
  async logs(id: string, opts?: { stepId?: string }): Promise<string> {
    await this.get(id);
    await this.ctx.pipeline.drain();
    return formatLogs(await this.ctx.store.getLogs(id, opts));
  }
}

/**
 * Starting and reading executions: `execute` records a run (`pending`) and queues it, the
 * reads go to the store, `logs` waits for buffered output first, and at start the store's
 * unfinished runs are queued again (embedded mode).
 * @module
 */
import type { Logger } from 'pino';
import { isValidToken } from '../../bus/subjects.ts';
import type { Clock } from '../../clock.ts';
import { InvalidArgumentError, NotFoundError, UnavailableError, toWire } from '../../errors.ts';
import { newId } from '../../ids.ts';
import {
  pendingStep,
  type ExecutionQuery,
  type ExecutionRecord,
  type ExecutionSummary,
  type Page,
  type Store,
  type WorkflowRecord,
} from '../../store/index.ts';
import { resolveInputs } from '../../workflow/index.ts';
import type { EventPipeline } from '../event-pipeline.ts';
import { formatLogs } from '../format-logs.ts';
import type { ExecuteOptions } from '../types.ts';
import type { WorkQueue } from '../work-queue.ts';

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
  >;
  queue: Pick<WorkQueue, 'push' | 'size'>;
  /** Executions waiting in the queue before new ones are refused (`unavailable`). */
  queueLimit: number;
  /** The work queue is this process's own (embedded): a run queued here runs here. */
  localQueue: boolean;
  /** Records created here and not yet adopted (see adopt-execution.ts). */
  created: Map<string, ExecutionRecord>;
  pipeline: Pick<EventPipeline, 'emit' | 'drain'>;
  /** The definition a new execution uses (the workflow catalog). */
  workflowFor(workflowId: string): Promise<WorkflowRecord>;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  /** Throws while the service is closing. */
  assertOpen(): void;
}

/** Records and queues executions; reads them back. */
export class ExecutionService {
  constructor(private readonly ctx: ExecutionServiceContext) {}

  /** Validates the input, records the run (`pending`) and queues it. */
  async execute(
    workflowId: string,
    input: Record<string, unknown> = {},
    opts: ExecuteOptions = {},
  ): Promise<{ executionId: string }> {
    const { store, queue, created, clock } = this.ctx;
    this.ctx.assertOpen();
    const workflow = await this.ctx.workflowFor(workflowId);
    const inputs = resolveInputs(workflow.definition, input);
    const executionId = opts.executionId ?? newId('ex');
    if (!isValidToken(executionId)) {
      throw InvalidArgumentError.format([{ path: 'executionId', message: 'not a valid id' }]);
    }
    if (queue.size() >= this.ctx.queueLimit) {
      throw new UnavailableError(`work queue is full (${this.ctx.queueLimit} executions waiting)`);
    }
    const record: ExecutionRecord = {
      id: executionId,
      workflowId,
      status: 'pending',
      input: inputs,
      createdAt: new Date(clock.now()).toISOString(),
      startedAt: null,
      finishedAt: null,
      error: null,
      engineId: null,
      node: null,
      definition: workflow.definition,
      steps: workflow.definition.steps.map((s) => pendingStep(s.id)),
    };
    await store.createExecution(record);
    // Only an in-process queue is sure to hand the run to this process; in a cluster another
    // process may take it, and a cached copy here would go stale.
    if (this.ctx.localQueue) created.set(executionId, record);
    try {
      await queue.push({ executionId });
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
    this.ctx.pipeline.emit('execution', executionId, {
      type: 'execution.queued',
      executionId,
      workflowId,
    });
    return { executionId };
  }

  /** Queues every run the store holds as unfinished (embedded mode, at start). */
  async requeueUnfinished(): Promise<number> {
    const { store, queue, logger } = this.ctx;
    const unfinished = await store.listUnfinishedExecutions();
    let queued = 0;
    for (const record of unfinished) {
      try {
        await queue.push({ executionId: record.id });
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

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
import { z } from 'zod';
import { isValidToken } from '../../bus/subjects.ts';
import { parseInput, prioritySchema } from '../../commands/index.ts';
import type { Clock } from '../../clock.ts';
import {
  BlockedError,
  InvalidArgumentError,
  NotFoundError,
  toStatorError,
  toWire,
} from '../../errors.ts';
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
import { resolveInputs, type Policy } from '../../workflow/index.ts';
import { judgeRun, type PolicyVerdict } from '../../plans/index.ts';
import type { EventPipeline } from '../event-pipeline.ts';
import { formatLogs } from '../format-logs.ts';
import type { ExecuteOptions, ExecuteResult } from '../types.ts';
import type { WorkQueue } from '../work-queue/index.ts';
import { Admission, type AdmissionTicket } from './admission.ts';
import { claimExecuteKey, KeyFlights } from './execute-idempotency.ts';

/** What a new run carries besides its input. */
interface RunExtras {
  parent?: ParentLink;
  priority?: number;
}

/** The library's `priority` option, checked as the commands check it (422 when out of range). */
function parsePriority(priority: unknown): number {
  return parseInput(z.object({ priority: prioritySchema }), { priority }).priority;
}

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
  queue: Pick<WorkQueue, 'push' | 'size' | 'sizeOf' | 'reserve' | 'unreserve'>;
  /** Executions waiting in the queue before new ones are refused (429 `queue_full`). */
  queueLimit: number;
  /** How long an execute `idempotencyKey` is remembered, ms. */
  idempotencyRetentionMs: number;
  /** The global policy runs are judged by (with the workflow's); null: none. */
  policy?: Policy | null;
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
    const extra: RunExtras = {
      ...(opts.parent !== undefined && { parent: opts.parent }),
      ...(opts.priority !== undefined && { priority: parsePriority(opts.priority) }),
    };
    if (key === undefined) return this.#start(workflow, inputs, proposedId, extra);
    return this.#flights.run(workflowId, key, () =>
      this.#startOnce(workflow, inputs, proposedId, key, extra),
    );
  }

  /** Claims `key` and starts the run, or answers the run that holds the key. */
  async #startOnce(
    workflow: WorkflowRecord,
    inputs: Record<string, unknown>,
    proposedId: string,
    key: string,
    extra: RunExtras,
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
      return await this.#start(workflow, inputs, executionId, extra);
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

  /**
   * Judges the run under the policies (src/plans), then admits, records and queues it: with a
   * policy approval gate in front when a policy asks for one. A blocked run is recorded
   * `blocked` at once, never queued (see #block).
   */
  #start(
    workflow: WorkflowRecord,
    inputs: Record<string, unknown>,
    executionId: string,
    { parent, priority }: RunExtras,
  ): Promise<ExecuteResult> {
    const judged = judgeRun(workflow.definition, inputs, this.ctx.policy);
    const definition = judged.action === 'block' ? workflow.definition : judged.definition;
    const record: ExecutionRecord = {
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
      definition,
      steps: definition.steps.map((s) => pendingStep(s.id)),
      ...(parent !== undefined && { parent }),
      ...(priority !== undefined && { priority }),
    };
    if (judged.action === 'block') return this.#block(record, judged.verdict);
    return this.startRecord(record);
  }

  /**
   * Records a run a policy refused: final status `blocked`, error `blocked` with the findings
   * and reasons in its details, nothing queued and no step run; emits `execution.blocked`.
   * The run never reaches an engine, so no statechart runs for it.
   */
  async #block(record: ExecutionRecord, verdict: PolicyVerdict): Promise<ExecuteResult> {
    this.ctx.assertOpen();
    const error = toWire(new BlockedError(verdict.reasons, verdict.findings));
    const at = new Date(this.ctx.clock.now()).toISOString();
    await this.ctx.store.createExecution({ ...record, status: 'blocked', finishedAt: at, error });
    this.ctx.pipeline.emit('execution', record.id, {
      type: 'execution.blocked',
      executionId: record.id,
      workflowId: record.workflowId,
      status: 'blocked',
      error,
      findings: verdict.findings,
    });
    return { executionId: record.id };
  }

  /**
   * Admits, records and queues the run `record` describes (`pending`; its steps as they start:
   * all pending, or some already settled for a retry). ConflictError when its id exists.
   */
  async startRecord(record: ExecutionRecord): Promise<ExecuteResult> {
    const { workflowId, id: executionId } = record;
    const maxQueued = record.definition.maxQueuedExecutions;
    // Refused here, a run leaves nothing behind: no record, no queued item.
    const ticket = this.#admission.admit(workflowId, maxQueued);
    // The workflow's place in a shared queue's bound: given back unless the run is queued.
    let shared: AdmissionTicket | undefined;
    let queued = false;
    try {
      const sharing = this.#admission.admitShared(workflowId, executionId, maxQueued);
      if (sharing) shared = await sharing;
      // Checked again right before the record is written: a shutdown may have begun meanwhile.
      // Past this point the run is accepted: stored `pending`, it runs here or after a restart.
      this.ctx.assertOpen();
      await this.ctx.store.createExecution(record);
      // Only an in-process queue is sure to hand the run to this process; in a cluster another
      // process may take it, and a cached copy here would go stale.
      if (this.ctx.localQueue) this.ctx.created.set(executionId, record);
      await this.#queue(workflowId, executionId, record.priority, shared !== undefined);
      queued = true;
    } finally {
      ticket();
      if (!queued) shared?.();
    }
    this.ctx.pipeline.emit('execution', executionId, {
      type: 'execution.queued',
      executionId,
      workflowId,
      ...(record.retryOf !== undefined && { retryOf: record.retryOf }),
    });
    return { executionId };
  }

  async #queue(
    workflowId: string,
    executionId: string,
    priority: number | undefined,
    reserved: boolean,
  ): Promise<void> {
    const { store, queue, created, clock } = this.ctx;
    try {
      await queue.push({
        executionId,
        workflowId,
        ...(priority !== undefined && { priority }),
        ...(reserved && { reserved: true as const }),
      });
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
          {
            executionId: record.id,
            workflowId: record.workflowId,
            ...(record.priority !== undefined && { priority: record.priority }),
          },
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

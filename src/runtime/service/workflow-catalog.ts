/**
 * The workflow catalog: registers, reads, lists and deletes definitions, keeps each workflow's
 * triggers and webhooks in step with its stored definition, and hands new executions their
 * definition (cached when every registration goes through this process).
 * @module
 */
import type { Logger } from 'pino';
import type { Clock } from '../../clock.ts';
import { InvalidWorkflowError, NotFoundError } from '../../errors.ts';
import type { Page, Store, WorkflowQuery, WorkflowRecord } from '../../store/index.ts';
import type { TriggerRegistry, Webhooks } from '../../triggers/index.ts';
import { freezeDefinition, parseWorkflow, type WorkflowDefinition } from '../../workflow/index.ts';

/** What the catalog uses. */
export interface WorkflowCatalogContext {
  store: Pick<Store, 'getWorkflow' | 'putWorkflow' | 'listWorkflows' | 'deleteWorkflow'>;
  triggers: Pick<TriggerRegistry, 'start' | 'sync' | 'remove'>;
  webhooks: Pick<Webhooks, 'check' | 'sync' | 'remove'>;
  clock: Pick<Clock, 'now'>;
  logger: Logger;
  /**
   * True when every registration goes through this process (embedded mode), so parsed
   * definitions may be cached for new executions; in a cluster another process may replace one.
   */
  cacheDefinitions: boolean;
  /** The service has a NATS connection for `nats` steps (cluster mode); others are refused. */
  natsSteps?: boolean;
  /** Throws while the service is closing. */
  assertOpen(): void;
}

/** Parsed definitions kept for new executions (embedded mode). */
const WORKFLOW_CACHE_LIMIT = 1000;

/** Workflow definitions and what hangs off them (triggers, webhooks). */
export class WorkflowCatalog {
  readonly #cache = new Map<string, WorkflowRecord>();

  constructor(private readonly ctx: WorkflowCatalogContext) {}

  /** Creates or replaces a workflow from an object or YAML/JSON text. */
  async register(definition: unknown): Promise<WorkflowRecord> {
    const { store, clock, triggers, webhooks, logger } = this.ctx;
    this.ctx.assertOpen();
    const parsed = parseWorkflow(definition);
    if (this.ctx.natsSteps !== true) refuseNatsSteps(parsed);
    const existing = await store.getWorkflow(parsed.id);
    const now = new Date(clock.now()).toISOString();
    const record: WorkflowRecord = {
      id: parsed.id,
      definition: parsed,
      version: (existing?.version ?? 0) + 1,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    if (typeof definition === 'string') record.source = definition;
    webhooks.check(parsed);
    await store.putWorkflow(record);
    this.#cache.delete(record.id);
    await triggers.sync(record);
    webhooks.sync(record);
    logger.info({ workflowId: record.id, version: record.version }, 'workflow registered');
    return record;
  }

  /** The stored workflow; NotFoundError when there is none. */
  async get(id: string): Promise<WorkflowRecord> {
    const record = await this.ctx.store.getWorkflow(id);
    if (!record) throw new NotFoundError('workflow', id);
    return record;
  }

  list(query?: WorkflowQuery): Promise<Page<WorkflowRecord>> {
    return this.ctx.store.listWorkflows(query);
  }

  /** Deletes a definition with its triggers and webhooks; its past runs stay. */
  async delete(id: string): Promise<void> {
    this.#cache.delete(id);
    if (!(await this.ctx.store.deleteWorkflow(id))) throw new NotFoundError('workflow', id);
    await this.ctx.triggers.remove(id);
    this.ctx.webhooks.remove(id);
  }

  /** The definition a new execution uses: cached and frozen in embedded mode, read otherwise. */
  async forExecution(id: string): Promise<WorkflowRecord> {
    if (!this.ctx.cacheDefinitions) return this.get(id);
    const cached = this.#cache.get(id);
    if (cached) return cached;
    const record = await this.get(id);
    // Every run of it shares this definition (records, live runs, actors): frozen, not copied.
    freezeDefinition(record.definition);
    if (this.#cache.size >= WORKFLOW_CACHE_LIMIT) this.#cache.clear();
    this.#cache.set(id, record);
    return record;
  }

  /** Subscribes the triggers of every stored workflow (at start). */
  async activateTriggers(): Promise<void> {
    await this.ctx.triggers.start();
    let cursor: string | undefined;
    do {
      const page = await this.ctx.store.listWorkflows({ limit: 500, cursor });
      for (const wf of page.items) this.ctx.webhooks.sync(wf);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
}

/** A server without a NATS connection (embedded mode) cannot run `nats` steps: said at once. */
function refuseNatsSteps(def: WorkflowDefinition): void {
  const issues = def.steps.flatMap((s, i) =>
    s.kind === 'nats'
      ? [
          {
            path: `steps[${i}].nats`,
            message:
              'nats steps need a NATS connection: run the server in cluster mode (--nats or STATOR_NATS_URL)',
          },
        ]
      : [],
  );
  if (issues.length > 0) throw InvalidWorkflowError.format(issues);
}

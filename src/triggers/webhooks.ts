/**
 * HTTP webhook triggers: `triggers: [{http: {path, secret?}}]` makes `POST /hooks/<path>`
 * start a run with the JSON body as input. The path -> workflow map is kept in step with
 * registrations like the NATS triggers; the store stays the authority: every call re-reads the
 * workflow (a deleted or changed definition is noticed), and an unknown path rescans the
 * store's workflows at most every few seconds (so a process learns paths registered by another
 * process of the cluster).
 *
 * With a secret, a call must be signed with a timestamp (webhook-auth.ts): a missing, wrong,
 * stale or already used signature starts nothing (401), and a secret whose variable is unset
 * refuses every call (503) and puts the trigger in state `error` (hook-secret.ts). The body is
 * parsed only once the call is authentic. An `Idempotency-Key` starts at most one run per key
 * and path within the retention window: the key is claimed in the store with a fresh execution
 * id first, and the run is created with that very id, so the store's unique execution ids settle
 * any race between repeats.
 * @module
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import { ConflictError, NotFoundError, toStatorError, toWire, type WireError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store, WorkflowRecord } from '../store/index.ts';
import { resolveInputs, type WorkflowDefinition } from '../workflow/index.ts';
import { hookKey, secretUnavailableError } from './hook-secret.ts';
import { declaredTriggers } from './trigger-ids.ts';
import { claimSignature, verifySignedCall } from './webhook-auth.ts';
import { checkIdempotencyKey, parseWebhookBody } from './webhook-body.ts';
import {
  resolveWebhookOptions,
  type ResolvedWebhookOptions,
  type WebhookOptions,
} from './webhook-options.ts';
import { idempotencyScope } from './webhook-scopes.ts';

/** Longest hook path (as the workflow schema allows). */
export const MAX_HOOK_PATH_LENGTH = 512;
/** Shortest interval between two rescans of the store for unknown paths, ms. */
const RESCAN_MS = 2000;
const REFUSED = 'webhook refused';
const PATH = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;

/** An http trigger as declared in a workflow (`{http: {path, secret?}}`). */
export interface HttpTrigger {
  /** The trigger's stable id (`<workflowId>-http-<n>`, see trigger-ids.ts). */
  id: string;
  /** Position in the workflow's `triggers` list. */
  index: number;
  /** Normalised path (no leading or trailing slash). */
  path: string;
  /** A literal secret or `${{ env.NAME }}` (resolved when a request arrives). */
  secret?: string;
}

/** One webhook call as the HTTP layer hands it over. */
export interface WebhookRequest {
  /** The part of the URL after `/hooks/`. */
  path: string;
  /** The raw body bytes (the signature covers exactly these). */
  body: Uint8Array;
  /** `X-Stator-Timestamp` header (unix seconds; signed with the body). */
  timestamp?: string;
  /** `X-Stator-Signature` header. */
  signature?: string;
  /** `Idempotency-Key` header. */
  idempotencyKey?: string;
}

/** The outcome of a webhook call. */
export interface WebhookResult {
  executionId: string;
  workflowId: string;
  /** True when the key was seen before and this is the first run's id again. */
  replayed: boolean;
}

/** A served hook: its workflow and its trigger. */
interface Found {
  workflow: WorkflowRecord;
  trigger: HttpTrigger;
}

/** Starts the run of a webhook with the given execution id (service.execute, or a trigger actor). */
export type WebhookFire = (fire: {
  workflowId: string;
  trigger: HttpTrigger;
  input: Record<string, unknown>;
  executionId: string;
}) => Promise<{ executionId: string }>;

/** Dependencies of the webhooks. */
export interface WebhookDeps {
  store: Pick<Store, 'getWorkflow' | 'listWorkflows' | 'getExecution' | 'claimIdempotencyKey'>;
  fire: WebhookFire;
  clock: Clock;
  logger: Logger;
  /** Where `${{ env.NAME }}` secrets are read. @default process.env */
  env?: Record<string, string | undefined>;
  /**
   * Told at each signed call whether the trigger's secret is available: a problem puts the
   * trigger in state `error`, null clears it (TriggerRegistry.reportFault).
   */
  reportFault?(triggerId: string, problem: WireError | null): void;
  options?: WebhookOptions;
}

/** Normalises a hook path; undefined when it is not a valid one. */
export function normaliseHookPath(path: string): string | undefined {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  const fits = trimmed.length > 0 && trimmed.length <= MAX_HOOK_PATH_LENGTH;
  return fits && PATH.test(trimmed) ? trimmed : undefined;
}

/** The http triggers of a definition, with normalised paths. */
export function httpTriggersOf(definition: WorkflowDefinition): HttpTrigger[] {
  const out: HttpTrigger[] = [];
  for (const { id, index, definition: t } of declaredTriggers(definition)) {
    if (t.kind !== 'http') continue;
    const path = normaliseHookPath(t.path);
    if (path !== undefined) {
      out.push({ id, index, path, ...(t.secret !== undefined && { secret: t.secret }) });
    }
  }
  return out;
}

/** Keeps the path -> workflow map and handles webhook calls. */
export class Webhooks {
  readonly #paths = new Map<string, string>();
  readonly #options: ResolvedWebhookOptions;
  #rescannedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: WebhookDeps) {
    this.#options = resolveWebhookOptions(deps.options);
  }

  /** Rejects a definition whose hook path another workflow already serves (ConflictError). */
  check(definition: WorkflowDefinition): void {
    for (const { path } of httpTriggersOf(definition)) {
      const owner = this.#paths.get(path);
      if (owner !== undefined && owner !== definition.id) {
        throw new ConflictError(`hook path '${path}' is already served by workflow '${owner}'`, {
          path,
          workflowId: owner,
        });
      }
    }
  }

  /** (Re)maps the paths of a registered workflow. */
  sync(workflow: WorkflowRecord): void {
    this.remove(workflow.id);
    for (const { path } of httpTriggersOf(workflow.definition)) {
      if (!this.#paths.has(path)) this.#paths.set(path, workflow.id);
    }
  }

  /** Drops a workflow's paths. */
  remove(workflowId: string): void {
    for (const [path, owner] of this.#paths) if (owner === workflowId) this.#paths.delete(path);
  }

  /** Path -> workflow id of every served hook. */
  paths(): Record<string, string> {
    return Object.fromEntries(this.#paths);
  }

  /**
   * Handles one call; throws NotFound (404), Unauthorized (401), Unavailable (503, the secret
   * cannot be read) or InvalidArgument (400/422).
   */
  async handle(req: WebhookRequest): Promise<WebhookResult> {
    const path = normaliseHookPath(req.path);
    const found = path === undefined ? undefined : await this.#lookup(path);
    if (path === undefined || !found) throw new NotFoundError('hook', req.path);
    const { workflow, trigger } = found;
    const now = this.deps.clock.now();
    // Nothing of an unauthenticated body is parsed.
    const signature = trigger.secret === undefined ? undefined : this.#verify(found, req, now);
    const input = parseWebhookBody(req.body);
    // Bad input is refused before a key or a signature is claimed.
    resolveInputs(workflow.definition, input);
    const proposedId = newId('ex');
    if (signature !== undefined) {
      const claim = { path, signature, executionId: proposedId, nowMs: now };
      const toleranceMs = this.#options.signatureToleranceMs;
      await claimSignature(this.deps.store, { ...claim, toleranceMs }).catch((err: unknown) => {
        throw this.#refused(path, workflow.id, err);
      });
    }
    const fire = (executionId: string) =>
      this.deps.fire({ workflowId: workflow.id, trigger, input, executionId });
    const result = (executionId: string, replayed: boolean): WebhookResult => {
      this.deps.logger.info({ path, workflowId: workflow.id, executionId, replayed }, 'webhook');
      return { executionId, workflowId: workflow.id, replayed };
    };
    if (req.idempotencyKey === undefined) {
      return result((await fire(proposedId)).executionId, false);
    }
    const key = checkIdempotencyKey(req.idempotencyKey);
    const { claim, created } = await this.deps.store.claimIdempotencyKey({
      scope: idempotencyScope(path),
      key,
      executionId: proposedId,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.#options.idempotencyRetentionMs).toISOString(),
    });
    const id = claim.executionId;
    if (!created && (await this.deps.store.getExecution(id))) return result(id, true);
    // A new claim, or one whose first attempt never created its run: create it with the
    // claimed id; if a concurrent repeat got there first, the store refuses the duplicate id.
    try {
      await fire(id);
      return result(id, false);
    } catch (err) {
      // By code: errors that crossed the trigger actor arrive as plain StatorErrors.
      if (toStatorError(err).code === 'conflict' && (await this.deps.store.getExecution(id))) {
        return result(id, true);
      }
      throw err;
    }
  }

  /** Checks the secret and the signature of a call; returns the signature to claim. */
  #verify(found: Found, req: WebhookRequest, now: number): string {
    const { workflow, trigger } = found;
    const path = trigger.path;
    const resolved = hookKey(trigger.secret!, this.deps.env ?? process.env);
    if ('unavailable' in resolved) {
      const problem = resolved.unavailable;
      this.deps.reportFault?.(trigger.id, problem);
      this.deps.logger.warn({ path, workflowId: workflow.id, details: problem.details }, REFUSED);
      throw secretUnavailableError();
    }
    this.deps.reportFault?.(trigger.id, null);
    try {
      return verifySignedCall(resolved.key, req, now, this.#options.signatureToleranceMs);
    } catch (err) {
      throw this.#refused(path, workflow.id, err);
    }
  }

  /** Logs a refused call (its reason, never a secret) and returns the error to throw. */
  #refused(path: string, workflowId: string, err: unknown): unknown {
    const { details } = toWire(err);
    this.deps.logger.warn({ path, workflowId, details }, REFUSED);
    return err;
  }

  async #lookup(path: string): Promise<Found | undefined> {
    let workflowId = this.#paths.get(path);
    if (workflowId === undefined && (await this.#rescan())) workflowId = this.#paths.get(path);
    if (workflowId === undefined) return undefined;
    const workflow = await this.deps.store.getWorkflow(workflowId);
    const trigger = workflow && httpTriggersOf(workflow.definition).find((t) => t.path === path);
    if (workflow && trigger) return { workflow, trigger };
    // Deleted or changed elsewhere: forget the stale entry.
    if (workflow) this.sync(workflow);
    else this.remove(workflowId);
    return undefined;
  }

  /** Re-reads every workflow's paths, at most every RESCAN_MS; true when it rescanned. */
  async #rescan(): Promise<boolean> {
    const now = this.deps.clock.now();
    if (now - this.#rescannedAt < RESCAN_MS) return false;
    this.#rescannedAt = now;
    let cursor: string | undefined;
    do {
      const page = await this.deps.store.listWorkflows({ limit: 500, cursor });
      for (const wf of page.items) {
        if (httpTriggersOf(wf.definition).length > 0) this.sync(wf);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return true;
  }
}

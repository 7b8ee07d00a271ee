/**
 * HTTP webhook triggers: `triggers: [{http: {path, secret?}}]` makes `POST /hooks/<path>`
 * start a run with the JSON body as input. The path -> workflow map is kept in step with
 * registrations like the NATS triggers; the store stays the authority: every call re-reads the
 * workflow (a deleted or changed definition is noticed), and an unknown path rescans the
 * store's workflows at most every few seconds (so a process learns paths registered by another
 * process of the cluster).
 *
 * With a secret, the raw body must carry a valid `X-Stator-Signature` or nothing starts. An
 * `Idempotency-Key` starts at most one run per key and path within the retention window: the
 * key is claimed in the store with a fresh execution id first, and the run is created with that
 * very id, so the store's unique execution ids settle any race between repeats.
 * @module
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import {
  ConflictError,
  InvalidArgumentError,
  MalformedPayloadError,
  NotFoundError,
  UnauthorizedError,
  toStatorError,
} from '../errors.ts';
import { newId } from '../ids.ts';
import type { Store, WorkflowRecord } from '../store/index.ts';
import {
  isPlainObject,
  resolveHookSecret,
  resolveInputs,
  type WorkflowDefinition,
} from '../workflow/index.ts';
import { verifyWebhookSignature } from './webhook-signature.ts';
import { declaredTriggers } from './trigger-ids.ts';

/** Default of `WebhookOptions.idempotencyRetentionMs`: 24 h. */
export const DEFAULT_IDEMPOTENCY_RETENTION_MS = 86_400_000;
/** Longest retention: the cluster store keeps claims at most 7 days. */
export const MAX_IDEMPOTENCY_RETENTION_MS = 7 * 86_400_000;
/** Longest accepted `Idempotency-Key`. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** Longest hook path (as the workflow schema allows). */
export const MAX_HOOK_PATH_LENGTH = 512;
/** Longest path used as is in a claim scope; longer ones are hashed (scopes fit 256 chars). */
const MAX_SCOPE_PATH = 200;
/** Shortest interval between two rescans of the store for unknown paths, ms. */
const RESCAN_MS = 2000;
const PATH = /^[A-Za-z0-9._~-]+(\/[A-Za-z0-9._~-]+)*$/;
const KEY = /^[\x21-\x7e]+$/;

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

/** Starts the run of a webhook with the given execution id (service.execute, or a trigger actor). */
export type WebhookFire = (fire: {
  workflowId: string;
  trigger: HttpTrigger;
  input: Record<string, unknown>;
  executionId: string;
}) => Promise<{ executionId: string }>;

/** Options of the webhooks. */
export interface WebhookOptions {
  /** How long an Idempotency-Key is remembered per path, at most 7 days. @default 86400000 */
  idempotencyRetentionMs?: number;
}

/** Dependencies of the webhooks. */
export interface WebhookDeps {
  store: Pick<Store, 'getWorkflow' | 'listWorkflows' | 'getExecution' | 'claimIdempotencyKey'>;
  fire: WebhookFire;
  clock: Clock;
  logger: Logger;
  /** Where `${{ env.NAME }}` secrets are read. @default process.env */
  env?: Record<string, string | undefined>;
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
  readonly #retentionMs: number;
  #rescannedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: WebhookDeps) {
    const retention = deps.options?.idempotencyRetentionMs ?? DEFAULT_IDEMPOTENCY_RETENTION_MS;
    if (!Number.isInteger(retention) || retention < 1 || retention > MAX_IDEMPOTENCY_RETENTION_MS) {
      throw InvalidArgumentError.format([
        { path: 'webhooks.idempotencyRetentionMs', message: 'must be 1 ms to 7 days (integer ms)' },
      ]);
    }
    this.#retentionMs = retention;
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

  /** Handles one call; throws NotFound (404), Unauthorized (401) or InvalidArgument (400/422). */
  async handle(req: WebhookRequest): Promise<WebhookResult> {
    const path = normaliseHookPath(req.path);
    const found = path === undefined ? undefined : await this.#lookup(path);
    if (path === undefined || !found) throw new NotFoundError('hook', req.path);
    const { workflow, trigger } = found;
    if (trigger.secret !== undefined) {
      // An env reference whose variable is unset refuses every request rather than none.
      const key = resolveHookSecret(trigger.secret, this.deps.env ?? process.env);
      if (key === undefined || !verifyWebhookSignature(key, req.body, req.signature)) {
        const reason = key === undefined ? 'secret variable unset' : 'bad signature';
        this.deps.logger.warn({ path, workflowId: workflow.id, reason }, 'webhook refused');
        throw new UnauthorizedError('missing or invalid webhook signature');
      }
    }
    const input = parseBody(req.body);
    // Bad input is refused before a key is claimed, so a corrected retry may reuse the key.
    resolveInputs(workflow.definition, input);
    const fire = (executionId: string) =>
      this.deps.fire({ workflowId: workflow.id, trigger, input, executionId });
    const result = (executionId: string, replayed: boolean): WebhookResult => {
      this.deps.logger.info({ path, workflowId: workflow.id, executionId, replayed }, 'webhook');
      return { executionId, workflowId: workflow.id, replayed };
    };
    if (req.idempotencyKey === undefined) {
      return result((await fire(newId('ex'))).executionId, false);
    }
    const key = checkKey(req.idempotencyKey);
    const now = this.deps.clock.now();
    const { claim, created } = await this.deps.store.claimIdempotencyKey({
      scope: claimScope(path),
      key,
      executionId: newId('ex'),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.#retentionMs).toISOString(),
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

  async #lookup(
    path: string,
  ): Promise<{ workflow: WorkflowRecord; trigger: HttpTrigger } | undefined> {
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

function parseBody(body: Uint8Array): Record<string, unknown> {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MalformedPayloadError(`malformed JSON body: ${(err as Error).message}`, err);
  }
  if (!isPlainObject(value)) {
    throw InvalidArgumentError.format([
      { path: 'input', message: 'the webhook body must be a JSON object' },
    ]);
  }
  return value;
}

/** The claim scope of a path: `hook:<path>`, or `hook#<sha256>` for very long paths. */
function claimScope(path: string): string {
  if (path.length <= MAX_SCOPE_PATH) return `hook:${path}`;
  return `hook#${createHash('sha256').update(path).digest('hex')}`;
}

function checkKey(key: string): string {
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !KEY.test(key)) {
    throw InvalidArgumentError.format([
      {
        path: 'Idempotency-Key',
        message: `must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters`,
      },
    ]);
  }
  return key;
}

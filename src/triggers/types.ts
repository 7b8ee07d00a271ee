/**
 * Types of the trigger runtime: how a trigger is named and shown, and what a fire answers.
 * The fire request and outcome themselves are the trigger machine's (machines/trigger.machine.ts).
 * @module
 */
import type { FireOutcome, TriggerResult, TriggerStatus } from '../../machines/trigger.machine.ts';
import type { WireError } from '../errors.ts';
import type { TriggerFireSource } from '../events.ts';
import type { TriggerDefinition, TriggerKind } from '../workflow/index.ts';

export type { FireOutcome, FireRequest, TriggerStatus } from '../../machines/trigger.machine.ts';

/** One trigger declared by a workflow, with its stable id. */
export interface DeclaredTrigger {
  /** `<workflowId>-<kind>-<n>`: the n-th trigger of that kind in the workflow (from 0). */
  id: string;
  workflowId: string;
  /** Position in the workflow's `triggers` list. */
  index: number;
  definition: TriggerDefinition;
}

/** A trigger as `trigger.list` shows it (never its secret). */
export interface TriggerView {
  id: string;
  workflowId: string;
  kind: TriggerKind;
  state: TriggerStatus;
  /** Next tick of a cron trigger that is not paused; null otherwise. */
  nextFireAt: string | null;
  lastFireAt: string | null;
  lastResult: TriggerResult | null;
  /** The last failure, until a fire succeeds or the trigger is resumed. */
  lastError: WireError | null;
  /**
   * Fires that started a run, were skipped, or failed, and messages rejected before they could
   * fire (not JSON, bad inputs), since this process started it.
   */
  counts: { fired: number; skipped: number; failed: number; rejected: number };
  /** cron */
  schedule?: string;
  timezone?: string;
  /** http: served as `POST /hooks/<path>`; `signed` when it has a secret. */
  path?: string;
  signed?: boolean;
  /** nats */
  subject?: string;
  queue?: string;
  /** nats: the JetStream stream consumed (through a durable consumer) instead of the subject. */
  stream?: string;
}

/** Filter of `trigger.list`. */
export interface TriggerQuery {
  workflowId?: string;
}

/** Options of a manual fire (`trigger.fire`). */
export interface FireOptions {
  /** Input of the run; a cron trigger's runs otherwise get `{}` (defaults apply). */
  input?: Record<string, unknown>;
}

/** The answer of `trigger.fire`: the outcome with the trigger's id (failures are thrown). */
export type FireResult = { triggerId: string } & Exclude<FireOutcome, { status: 'failed' }>;

/** A fire as the registry receives it, before it has an id. */
export interface FireCall {
  source: TriggerFireSource;
  /** @default now */
  at?: number;
  input?: Record<string, unknown>;
  executionId?: string;
  /** Makes the run's creation idempotent (a JetStream message's stream sequence). */
  idempotencyKey?: string;
}

/**
 * The trigger-states role of the Store: what each trigger remembers across restarts.
 * @module
 */

/** What a trigger remembers across restarts. */
export interface TriggerState {
  /** Stable id: `<workflowId>.<kind>.<index>` made subject-safe, e.g. `nightly-cron-0`. */
  id: string;
  workflowId: string;
  /** Paused by a person (survives restarts). */
  paused: boolean;
  /** Scheduled time of the last fire (cron) or time of the last fire (others). */
  lastFireAt: string | null;
  /** Outcome of the last fire. */
  lastResult: {
    status: 'started' | 'skipped' | 'queued' | 'failed';
    executionId?: string;
    reason?: string;
  } | null;
  updatedAt: string;
}

/** Stores trigger states. */
export interface TriggerStore {
  /** The persisted state of one trigger, if any. */
  getTriggerState(triggerId: string): Promise<TriggerState | undefined>;
  /** Writes (upserts) a trigger's state; throws InvalidArgumentError for an empty id. */
  putTriggerState(state: TriggerState): Promise<void>;
  /** Every stored trigger state, ordered by id (bounded by the number of declared triggers). */
  listTriggerStates(): Promise<TriggerState[]>;
  /** Removes a trigger's state (its workflow was deleted or no longer declares it). */
  deleteTriggerState(triggerId: string): Promise<void>;
}

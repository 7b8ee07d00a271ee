/**
 * The one module that names outbound events. Every actor's outbound events form one
 * discriminated union; the runtime stamps `ts`, `seq` and `source` before publishing.
 * Machines construct these with literal `type`s checked against this union (type-only import).
 * @module
 */
import type { WireError } from './errors.ts';
import type { ActorAddress } from './bus/index.ts';
import type { ExecutionStatus, StepArtifact } from './store/index.ts';
// eslint-disable-next-line no-restricted-imports -- cycle: sessions/index.ts imports events.ts
import type { SessionActivity, SessionStatus } from './sessions/types.ts';

/** Severity carried by every event. */
export type Severity = 'info' | 'warning' | 'error' | 'critical';

/** Events a workflow run emits (its steps' events included). */
export type ExecutionEvent =
  /** `retryOf`: a retry run (execution.retry), and the run it retries. */
  | { type: 'execution.queued'; executionId: string; workflowId: string; retryOf?: string }
  | { type: 'execution.started'; executionId: string; workflowId: string }
  /**
   * No new step starts until `execution.resumed` (running steps go on). `reason: breakpoint`:
   * step `stepId` has `pauseBefore: true` and was next to start.
   */
  | {
      type: 'execution.paused';
      executionId: string;
      workflowId: string;
      by: string;
      reason: 'request';
    }
  | {
      type: 'execution.paused';
      executionId: string;
      workflowId: string;
      by: string;
      reason: 'breakpoint';
      stepId: string;
    }
  | { type: 'execution.resumed'; executionId: string; workflowId: string; by: string }
  /**
   * The run failed (or timed out) and undoes what it did: the rollbacks of `steps` run one at a
   * time, in this order (the reverse of completion); then it ends failed (or timed_out).
   */
  | {
      type: 'execution.rolling_back';
      executionId: string;
      workflowId: string;
      steps: string[];
      error: WireError | null;
    }
  /**
   * Declared steps settled (`completed`, any final status) and running, of `total`; emitted as
   * steps start and settle. A forEach step counts once (its instances do not).
   */
  | {
      type: 'execution.progress';
      executionId: string;
      workflowId: string;
      completed: number;
      total: number;
      running: number;
    }
  /** An attempt of step `stepId`'s rollback started (its logs are under `<stepId>:rollback`). */
  | {
      type: 'step.rollback_started';
      executionId: string;
      workflowId: string;
      stepId: string;
      attempt: number;
      resumed?: boolean;
    }
  /** Step `stepId`'s rollback succeeded (`rolled_back`) or failed after its retries. */
  | {
      type: 'step.rolled_back' | 'step.rollback_failed';
      executionId: string;
      workflowId: string;
      stepId: string;
      attempt: number;
      exitCode: number | null;
      error?: string;
    }
  | {
      /** A policy refused the run before it ran (src/plans); it is recorded `blocked`. */
      type: 'execution.blocked';
      executionId: string;
      workflowId: string;
      status: 'blocked';
      error: WireError;
      findings: Array<{ severity: string; rule: string; stepId?: string; message: string }>;
    }
  | {
      type:
        'execution.completed' | 'execution.failed' | 'execution.cancelled' | 'execution.timed_out';
      executionId: string;
      workflowId: string;
      status: ExecutionStatus;
      error?: WireError | null;
      durationMs?: number;
    }
  | {
      type: 'step.started';
      executionId: string;
      workflowId: string;
      stepId: string;
      attempt: number;
      /** The attempt was started by a previous server and goes on here (re-attached). */
      resumed?: boolean;
      /** A forEach step: the number of items its instances (`<stepId>[<n>]`) run over. */
      items?: number;
    }
  | {
      type: 'step.stdout' | 'step.stderr';
      executionId: string;
      workflowId: string;
      stepId: string;
      attempt: number;
      line: string;
    }
  | {
      type: 'step.retrying';
      executionId: string;
      workflowId: string;
      stepId: string;
      attempt: number;
      delayMs: number;
      error: string;
    }
  | {
      type: 'step.completed';
      executionId: string;
      workflowId: string;
      stepId: string;
      attempt: number;
      exitCode: number | null;
      /** What the step handed to later steps, when it wrote any. */
      outputs?: Record<string, unknown>;
      durationMs?: number;
    }
  | {
      type: 'step.failed' | 'step.timed_out' | 'step.cancelled' | 'step.interrupted';
      executionId: string;
      workflowId: string;
      stepId: string;
      attempt: number;
      exitCode: number | null;
      error: string;
      /** Attempts lost with their process so far (`step.interrupted`). */
      lostAttempts?: number;
    }
  | {
      /** A `workflow` step started (or re-attached to) its child run. */
      type: 'step.child';
      executionId: string;
      workflowId: string;
      stepId: string;
      attempt: number;
      childExecutionId: string;
      childWorkflowId: string;
    }
  | {
      type: 'step.skipped';
      executionId: string;
      workflowId: string;
      stepId: string;
      reason: string;
    }
  | {
      /**
       * The files an attempt of step `stepId` kept (`artifacts:`), stored before the step's
       * outcome: kept ones with `sha256`, refused ones with `refused` (why).
       */
      type: 'step.artifacts';
      executionId: string;
      workflowId: string;
      stepId: string;
      attempt: number;
      artifacts: StepArtifact[];
    }
  | {
      /**
       * The circuit breaker of `host` (an origin) opened after `failures` failed http calls in
       * a row: calls to it fail fast (`circuit_open`) until `until` (ISO-8601), then one trial
       * goes through. Emitted by the run whose call opened it.
       */
      type: 'circuit.opened';
      executionId: string;
      workflowId: string;
      stepId: string;
      host: string;
      failures: number;
      until: string;
    }
  | {
      /** The breaker of `host` closed: a trial call after the cool-down got a reply below 500. */
      type: 'circuit.closed';
      executionId: string;
      workflowId: string;
      stepId: string;
      host: string;
    }
  | {
      /** An `approval` step waits for a person (the run is `awaiting_approval`). */
      type: 'step.awaiting_approval';
      executionId: string;
      workflowId: string;
      stepId: string;
      attempt: number;
      message: string;
      /** Who may decide; absent: anyone. */
      approvers?: string[];
      /** ISO-8601: when it began to wait, and when a missing decision rejects it. */
      since: string;
      deadline: string;
    }
  | {
      /** The decision on an `approval` step (`by: 'timeout'` when none came in time). */
      type: 'step.approved' | 'step.rejected';
      executionId: string;
      workflowId: string;
      stepId: string;
      attempt: number;
      by: string;
      /** ISO-8601. */
      at: string;
      comment?: string;
    };

/** Events an engine emits. */
export type EngineEvent =
  | {
      type: 'engine.status';
      engineId: string;
      status: 'idle' | 'running' | 'paused' | 'draining' | 'stopped' | 'error';
      slots: number;
      busy: number;
      queued: number;
    }
  | { type: 'engine.rejected'; engineId: string; executionId: string; reason: string };

/** Events the monitor emits about itself. */
export type MonitorEvent = {
  type: 'monitor.dropped';
  subscriberId: string;
  dropped: number;
};

/** Where a trigger fire came from. */
export type TriggerFireSource = 'schedule' | 'catch_up' | 'manual' | 'webhook' | 'nats';

/** Why a trigger fire started nothing (a bounded set: metrics label it). */
export type TriggerSkipReason = 'overlap' | 'queue_full' | 'paused' | 'busy' | 'missed';

/**
 * Why a message was refused before it could fire its trigger (a bounded set: metrics label it):
 * not JSON, JSON but not an object, or an object the workflow's `inputs` refuse.
 */
export type TriggerRejectReason = 'malformed_json' | 'not_an_object' | 'invalid_input';

/** Fields every trigger event carries. */
export interface TriggerEventBase {
  triggerId: string;
  workflowId: string;
  /** `cron`, `http` or `nats`. */
  kind: string;
}

/** Fields of an event about one fire. */
export interface TriggerFireBase extends TriggerEventBase {
  /** What fired it (not `source`: every stamped event's `source` is its actor's address). */
  origin: TriggerFireSource;
  /** The tick (cron) or arrival time of the fire, ISO-8601. */
  scheduledAt: string;
}

/** Events a trigger emits. */
export type TriggerEvent =
  | (TriggerFireBase & {
      type: 'trigger.fired';
      executionId: string;
      /** The run waited in the workflow's overlap queue before it started. */
      queued?: boolean;
      /** Runs cancelled first (`overlap: cancel_previous`). */
      cancelled?: string[];
    })
  | (TriggerFireBase & {
      type: 'trigger.queued';
      /** The id the run will have when it starts. */
      executionId: string;
      /** 1 = next to start. */
      position: number;
    })
  | (TriggerFireBase & {
      type: 'trigger.skipped';
      reason: TriggerSkipReason;
      message: string;
      /** Ticks this event stands for (`missed`). */
      count?: number;
    })
  | (TriggerFireBase & {
      type: 'trigger.error';
      error: WireError;
      attempt: number;
      willRetry: boolean;
    })
  | (TriggerFireBase & {
      type: 'trigger.rejected';
      reason: TriggerRejectReason;
      /** What was wrong, for the sender (the parser's or the inputs' message). */
      message: string;
      /** The subject the message came on. */
      subject: string;
      /** The structured error (`malformed_json` or `invalid_argument`, with details). */
      error: WireError;
    })
  | (TriggerEventBase & {
      type: 'trigger.status';
      status: 'active' | 'paused' | 'error';
      /** With `error`: why the trigger cannot serve (e.g. `details.reason: secret_unavailable`). */
      error?: WireError;
    });

/** Events a session emits (status changes, activity changes, output lines, deletion). */
export type SessionEvent =
  | {
      type: 'session.status';
      sessionId: string;
      status: SessionStatus;
      pid: number | null;
      restarts: number;
      exitCode: number | null;
      error: string | null;
      /** Delay before the next start (status `restarting`). */
      delayMs?: number;
    }
  | { type: 'session.activity'; sessionId: string; activity: SessionActivity }
  | {
      type: 'session.stdout' | 'session.stderr';
      sessionId: string;
      /**
       * The line's `seq` in the session's output buffer, the one `logs?since=` and
       * `session.logs` take (`since: logSeq - 1` starts at this line). Not the event's own `seq`,
       * which numbers every event of the process.
       */
      logSeq: number;
      line: string;
    }
  | { type: 'session.deleted'; sessionId: string };

/** Any event before stamping. */
export type ActorEvent = ExecutionEvent | EngineEvent | MonitorEvent | TriggerEvent | SessionEvent;
/** The dotted type names. */
export type EventType = ActorEvent['type'];

/** An event as published: stamped with time, process sequence number, source and severity. */
export type StampedEvent = ActorEvent & {
  /** ISO-8601 time of emission. */
  ts: string;
  /** Monotonic per process; a gap tells a client it missed events. */
  seq: number;
  /** Address of the emitting actor. */
  source: ActorAddress;
  severity: Severity;
};

const SEVERITY: Partial<Record<EventType, Severity>> = {
  'execution.failed': 'error',
  'execution.timed_out': 'error',
  'execution.blocked': 'error',
  'execution.cancelled': 'warning',
  'execution.paused': 'warning',
  'execution.rolling_back': 'warning',
  'step.rollback_failed': 'error',
  'step.failed': 'error',
  'step.timed_out': 'error',
  'step.retrying': 'warning',
  'step.interrupted': 'warning',
  'step.cancelled': 'warning',
  'step.rejected': 'warning',
  'circuit.opened': 'warning',
  'step.stderr': 'info',
  'engine.rejected': 'warning',
  'monitor.dropped': 'warning',
  'trigger.skipped': 'warning',
  'trigger.rejected': 'warning',
  'trigger.error': 'error',
};

/** Severity of an event type (info unless listed). */
export function severityOf(type: EventType): Severity {
  return SEVERITY[type] ?? 'info';
}

/** Builds a dotted event type from a kind and a name, e.g. `eventType('step', 'started')`. */
export function eventType<K extends string, N extends string>(kind: K, name: N): `${K}.${N}` {
  return `${kind}.${name}`;
}

/** The step status each step event leaves behind (one table for records and metrics). */
export const STEP_STATUS_OF = {
  'step.retrying': 'retrying',
  'step.completed': 'succeeded',
  'step.failed': 'failed',
  'step.timed_out': 'timed_out',
  'step.cancelled': 'cancelled',
  'step.interrupted': 'interrupted',
} as const;

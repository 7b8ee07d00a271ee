/**
 * The shapes of a plan: what `plan.create` answers for a workflow and an input before any run.
 * @module
 */
import type { FieldIssue } from '../errors.ts';

/** How serious a safety finding is; a policy decides what each severity does. */
export type Severity = 'critical' | 'warning' | 'info';

/** Severities, most serious first. */
export const SEVERITIES_BY_RANK: readonly Severity[] = ['critical', 'warning', 'info'];

/** One safety finding of a plan: which rule, which step (absent: the whole workflow), why. */
export interface Finding {
  severity: Severity;
  rule: string;
  stepId?: string;
  message: string;
}

/** One step of a plan with its estimate. */
export interface PlannedStep {
  id: string;
  kind: string;
  needs: string[];
  /** p50 of the step's past successful durations (ms); null when there is no history. */
  estimateMs: number | null;
  /** How many past successful durations the estimate rests on. */
  samples: number;
  /** The step's timeout (its own, else the workflow's `defaults.timeout`); null when none. */
  timeoutMs: number | null;
}

/** The plan of a workflow and an input. */
export interface Plan {
  /** No parse, graph or input error (findings do not count here; policies judge them). */
  valid: boolean;
  /** Every error found: schema and graph issues, then input issues. */
  errors: FieldIssue[];
  /** The workflow id (absent when the definition did not parse far enough). */
  workflowId?: string;
  /** Steps grouped by depth: every step's needs are in earlier levels. Empty when invalid. */
  levels: string[][];
  /**
   * The longest chain by estimated duration: each step counts its history p50, else its
   * timeout, else 0 (sleep steps their sleep). Empty when invalid.
   */
  criticalPath: string[];
  /** Sum of the critical path's estimates (ms). */
  criticalPathMs: number;
  steps: PlannedStep[];
  findings: Finding[];
}

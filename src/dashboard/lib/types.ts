/** Shapes of the API answers the dashboard reads (the fields it uses). */

export interface Page<T> {
  items: T[];
  nextCursor?: string | null;
}

export interface WireError {
  code: string;
  message: string;
}

export interface Execution {
  id: string;
  workflowId: string;
  status: string;
  input?: Record<string, unknown>;
  createdAt?: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: WireError | null;
  engineId?: string | null;
  node?: string;
  /** Set while the run is paused (no new step starts). */
  paused?: { at: string; by: string; reason: string; stepId?: string };
  steps?: StepRecord[];
}

export interface StepRecord {
  id: string;
  status: string;
  attempts: number;
  exitCode: number | null;
  startedAt: string | null;
  finishedAt: string | null;
  error: WireError | null;
  attemptStartedAt?: string | null;
  /** An approval step's question, and its decision once made. */
  approval?: {
    attempt: number;
    message: string;
    approvers?: string[];
    since: string;
    deadline: string;
    decision?: { approved: boolean; by: string; at: string; comment?: string };
  };
  /** How the step's rollback went when its run failed. */
  rollback?: {
    status: 'rolling_back' | 'rolled_back' | 'rollback_failed';
    attempts: number;
    error?: string;
    startedAt: string | null;
    finishedAt: string | null;
  };
  /** Files the step kept (`sha256` set) or refused (`refused` says why). */
  artifacts?: StepArtifact[];
}

/** One artifact of a step: `name` is `<stepId>/<path>`, the name to download it by. */
export interface StepArtifact {
  name: string;
  size: number;
  sha256?: string;
  refused?: string;
}

export interface WorkflowStep {
  id: string;
  needs?: string[];
  kind?: string;
}

export interface Workflow {
  id: string;
  version: number;
  definition: { id: string; steps: WorkflowStep[]; description?: string };
}

export interface WorkflowSummary {
  id: string;
  version: number;
  stepCount: number;
}

export interface Session {
  id: string;
  name: string;
  status: string;
  activity: string | null;
  pid: number | null;
  restarts: number;
  tags: string[];
  awaitingSince: string | null;
  startedAt: string | null;
  updatedAt: string;
  exitCode: number | null;
  lastError: string | null;
}

export interface Trigger {
  id: string;
  workflowId: string;
  kind: string;
  state: string;
  nextFireAt: string | null;
  lastFireAt: string | null;
  lastResult: unknown;
  lastError: WireError | null;
  schedule?: string;
  counts?: Record<string, number>;
}

export interface Engine {
  id: string;
  status: string;
  slots: number;
  busy: number;
  queued: number;
}

export interface Health {
  status: string;
  node: string;
  mode: string;
  uptimeSeconds: number;
  engines: Engine[];
  activeExecutions: number;
}

export interface MachineSummary {
  name: string;
  description: string;
}

export interface Actor {
  kind: string;
  id: string;
  parent: string | null;
  node: string;
  machine: string;
  status: 'active' | 'done' | 'error' | 'stopped';
  value: StateValue;
  updatedAt: string;
}

export interface ActorDetail extends Actor {
  context?: unknown;
  children: { kind: string; id: string; machine: string; status: string; value: StateValue }[];
  transitions: { at: string; event: string; from: StateValue; to: StateValue }[];
}

export type StateValue = string | { [key: string]: StateValue };

/** An event of `GET /api/events` (stamped by the monitor). */
export interface LiveEvent {
  type: string;
  seq?: number;
  ts: string;
  source?: string;
  severity?: string;
  executionId?: string;
  workflowId?: string;
  stepId?: string;
  attempt?: number;
  line?: string;
  sessionId?: string;
  triggerId?: string;
  engineId?: string;
  status?: string;
  activity?: string;
  [key: string]: unknown;
}

/** A step waiting for a person's decision (`GET /api/approvals`). */
export interface Approval {
  executionId: string;
  workflowId: string;
  stepId: string;
  attempt: number;
  message: string;
  approvers?: string[];
  since: string;
  deadline: string;
}

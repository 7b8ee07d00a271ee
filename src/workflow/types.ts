/**
 * Resolved (parsed and normalised) workflow definitions. The zod schema in schema.ts turns
 * YAML/JSON input into these types: durations become milliseconds, defaults are filled in.
 * Machines import these as types only.
 * @module
 */
import type { CatchUpPolicy, OverlapPolicy, TriggerDefinition } from './triggers.ts';
import type { Policy } from './policy.ts';
import type { ApprovalGate, ChildWorkflowCall, HttpCall, NatsCall } from './step-kinds.ts';

/** Retry policy of a step, resolved. `attempts` counts the first try. */
export interface RetryPolicy {
  /** Total attempts including the first. @default 1 */
  attempts: number;
  /** Delay before the first retry, ms. @default 1000 */
  backoffMs: number;
  /** Multiplier per further retry. @default 2 */
  factor: number;
  /** Upper bound of one delay, ms. @default 300000 */
  maxMs: number;
  /** Random share (0..1) subtracted from or added to each delay. @default 0 */
  jitter: number;
}

/**
 * When a step runs once its needs have ended: `success` (default) when none was skipped (a
 * failure tolerated by `continueOnError` counts as done), `failure` when at least one failed,
 * `always` whatever they ended as. A step that does not run is skipped.
 */
export type NeedsWhen = 'success' | 'failure' | 'always';

/** Fields every step kind shares. */
export interface StepBase {
  id: string;
  needs: string[];
  /** @default "success" */
  when?: NeedsWhen;
  /** A CEL condition (conditions.ts): false skips the step. */
  if?: string;
  /**
   * Fan-out (for-each.ts): one instance of the step per item, a CEL expression yielding a list
   * or a literal list. The step's outputs are the list of its instances' outputs.
   */
  forEach?: string | unknown[];
  /** Instances of a `forEach` step running at once. Set only with forEach (default: the workflow's concurrency). */
  concurrency?: number;
  timeoutMs?: number;
  retry: RetryPolicy;
  env: Record<string, string>;
  cwd?: string;
  continueOnError: boolean;
  /** A breakpoint: the run pauses when this step is next to start (resume starts it). */
  pauseBefore?: boolean;
  /**
   * What undoes this step when the run fails after it succeeded (execution-rollback.ts): a step
   * body of its own (id `<id>:rollback`, no needs), with its own timeout and retry.
   */
  rollback?: StepDefinition;
  /** A workflow-level `verify:` step: it needs every other step and runs after they succeed. */
  verify?: true;
}

/**
 * Where a process step's outputs come from: `file` (the default) reads `key=value` lines or one
 * JSON object from the file named by `$STATOR_OUTPUT`; `json` takes its whole stdout as one JSON
 * object.
 */
export type OutputSource = 'file' | 'json';

/** `exec`: argv array, no shell. Items may template `${{ inputs.x }}` one item each. */
export interface ExecStep extends StepBase {
  kind: 'exec';
  exec: string[];
  /** @default "file" */
  outputs?: OutputSource;
  /** Paths or globs kept as artifacts once the process ends (src/artifacts/). */
  artifacts?: string[];
}
/** `run`: script text for a shell; inputs reach it only as environment variables. */
export interface RunStep extends StepBase {
  kind: 'run';
  run: string;
  /** @default "sh" */
  shell: string;
  /** @default "file" */
  outputs?: OutputSource;
  /** Paths or globs kept as artifacts once the process ends (src/artifacts/). */
  artifacts?: string[];
}
/** `sleep`: waits, then succeeds. */
export interface SleepStep extends StepBase {
  kind: 'sleep';
  sleepMs: number;
}
/** `noop`: succeeds at once. */
export interface NoopStep extends StepBase {
  kind: 'noop';
}

/** `http`: one HTTP request (see step-kinds.ts); the JSON reply is the step's outputs. */
export interface HttpStep extends StepBase {
  kind: 'http';
  http: HttpCall;
}
/** `nats`: a request (the reply is the step's outputs) or a publish on a NATS subject. */
export interface NatsStep extends StepBase {
  kind: 'nats';
  nats: NatsCall;
}
/** `workflow`: a child run of another workflow; the step ends as the child ends. */
export interface WorkflowStep extends StepBase {
  kind: 'workflow';
  workflow: ChildWorkflowCall;
}

/** `approval`: waits for a person's decision (see step-kinds.ts); a rejection fails it. */
export interface ApprovalStep extends StepBase {
  kind: 'approval';
  approval: ApprovalGate;
}

/** A resolved step. */
export type StepDefinition =
  ExecStep | RunStep | SleepStep | NoopStep | HttpStep | NatsStep | WorkflowStep | ApprovalStep;
/** What a step does: `exec` an argv, `run` a script, `sleep`, nothing (`noop`), or a call. */
export type StepKind = StepDefinition['kind'];

/** A declared workflow input. */
export interface InputDefinition {
  description?: string;
  /** When absent and `required` is not false, the input is required. */
  default?: unknown;
  required: boolean;
  type?: 'string' | 'number' | 'boolean' | 'object' | 'array';
}

/**
 * Where a secret's value comes from when a run starts: a variable of the server's environment
 * or a file the server can read. The definition holds only this source, never the value.
 */
export type SecretSource = { env: string } | { file: string };

/** A resolved workflow definition. */
export interface WorkflowDefinition {
  id: string;
  name?: string;
  description?: string;
  /** Declared inputs; undefined means "takes any object". */
  inputs?: Record<string, InputDefinition>;
  env: Record<string, string>;
  /** Secrets by the variable name steps receive them as; resolved at run time, masked in output. */
  secrets?: Record<string, SecretSource>;
  /** Whole-run timeout, ms. */
  timeoutMs?: number;
  /** Max parallel steps. @default 16 */
  concurrency: number;
  /** Default step timeout when a step sets none, ms. */
  defaultTimeoutMs?: number;
  steps: StepDefinition[];
  /** What starts runs on its own (see triggers.ts). */
  triggers?: TriggerDefinition[];
  /** What a trigger fire does while a run is pending or running; set only when declared. @default "skip" */
  overlap?: OverlapPolicy;
  /** Fires waiting under `overlap: queue`. @default 1 */
  maxQueued?: number;
  /**
   * Runs of this workflow waiting for an engine slot (any source: API, triggers;
   * in cluster mode across every node of the shared queue); one more is refused with 429
   * `queue_full`. Unset: only the node's bound applies.
   */
  maxQueuedExecutions?: number;
  /** Missed cron ticks after downtime. @default "none" */
  catchUp?: CatchUpPolicy;
  /** At most `limit` runs of one key (a CEL expression over inputs) at once (flow-control.ts). */
  runConcurrency?: { key: string; limit: number };
  /** At most `limit` run starts per `perMs` per key (flow-control.ts). */
  rateLimit?: { key: string; limit: number; perMs: number };
  /** A burst of requests of one key within `periodMs` becomes one run, the last (flow-control.ts). */
  debounce?: { key: string; periodMs: number };
  /** Where runs act (`production`, `staging`...); plans flag `production` without an approval gate. */
  environment?: string;
  /** What a plan's findings may do to a run: block it, or make it wait for approval. */
  policy?: Policy;
}

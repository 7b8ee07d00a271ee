/**
 * The zod schema of a workflow definition as written (YAML or JSON), transformed into the
 * resolved WorkflowDefinition of types.ts: durations in ms, defaults filled in, `needs` as arrays,
 * the workflow's `defaults.retry` merged into each step. DAG checks live in dag.ts.
 * @module
 */
import { artifactsSchema } from './artifact-patterns.ts';
import { MAX_CONDITION_LENGTH } from './conditions.ts';
import { debounceSchema, rateLimitSchema, runConcurrencySchema } from './flow-control.ts';
import { z } from 'zod';
import { catchUpSchema, maxQueuedSchema, overlapSchema, triggerListSchema } from './triggers.ts';
import { durationSchema, positiveDurationSchema } from './duration.ts';
import { inputEnvClashes, inputEnvClashMessage } from './step-env.ts';
import { forEachSchema } from './for-each.ts';
import { policySchema } from './policy.ts';
import {
  approvalGateSchema,
  type ApprovalGate,
  httpCallSchema,
  natsCallSchema,
  workflowCallSchema,
} from './step-kinds.ts';
import type { InputDefinition, RetryPolicy, StepDefinition, WorkflowDefinition } from './types.ts';

/** Workflow and step ids: a slug that is also one NATS subject token. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** Declared input names. */
export const INPUT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Environment variable names in `env`. */
export const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The step kinds, in the order messages name them. */
export const STEP_KINDS = [
  'exec',
  'run',
  'sleep',
  'noop',
  'http',
  'nats',
  'workflow',
  'approval',
] as const;
/** Parallel steps of one run when the workflow sets no `concurrency`. */
export const DEFAULT_CONCURRENCY = 16;
/** Upper bound of `concurrency`. */
export const MAX_CONCURRENCY = 1024;
/** Upper bound of the number of steps. */
export const MAX_STEPS = 20_000;
/** Upper bound of `maxQueuedExecutions`. */
export const MAX_QUEUED_EXECUTIONS = 1_000_000;
/** Upper bound of `retry.attempts`. */
export const MAX_ATTEMPTS = 1000;
/** Shell of `run` steps that name none. */
export const DEFAULT_SHELL = 'sh';
/** Retry policy of a step that sets none (one attempt, no retry). */
/** What a step's id is followed by in its rollback's id (`<id>:rollback`, never a step id). */
export const ROLLBACK_SUFFIX = ':rollback';

/** The id of the step a workflow-level `approval` gate becomes. */
export const GATE_STEP_ID = 'approval';

export const DEFAULT_RETRY: Readonly<RetryPolicy> = Object.freeze({
  attempts: 1,
  backoffMs: 1000,
  factor: 2,
  maxMs: 300_000,
  jitter: 0,
});

const ID_MESSAGE = "must be 1-128 letters, digits, '_' or '-', starting with a letter or digit";
const noNul = (s: string) => !s.includes('\0');
const idSchema = z.string().regex(ID_PATTERN, ID_MESSAGE);
const text = (max: number) => z.string().max(max).refine(noNul, 'must not contain NUL');

const envSchema = z
  .record(
    z.string().regex(ENV_NAME_PATTERN, 'environment variable names are letters, digits and _'),
    z.union([text(131_072), z.number(), z.boolean()], {
      error: 'environment values must be strings, numbers or booleans',
    }),
  )
  .transform((env) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) out[k] = String(v);
    return out;
  })
  .describe('Environment variables; numbers and booleans become strings.');

/** Upper bound of the number of secrets of a workflow. */
export const MAX_SECRETS = 100;
/** Variable-name prefixes a secret can neither be named nor read from (Stator's own, inputs). */
const RESERVED_ENV_PREFIXES = ['STATOR_', 'INPUT_'] as const;
const reservedPrefix = (name: string) =>
  RESERVED_ENV_PREFIXES.find((p) => name.toUpperCase().startsWith(p));

const secretSourceSchema = z
  .union(
    [
      z.strictObject({
        env: z
          .string()
          .regex(ENV_NAME_PATTERN, 'environment variable names are letters, digits and _')
          .refine(
            (n) => !n.toUpperCase().startsWith('STATOR_'),
            "Stator's own configuration (STATOR_*) is never a step's secret",
          ),
      }),
      z.strictObject({ file: text(4096).min(1) }),
    ],
    { error: 'a secret is {env: VARIABLE} or {file: PATH}' },
  )
  .describe("Where the value is read when a run starts: the server's environment or a file.");

/** `secrets` of a workflow or session: sources by name (names: see `secretNameIssues`). */
export const secretsSchema = z
  .record(z.string(), secretSourceSchema)
  .describe(
    'Secrets steps receive as environment variables, by name; masked (***) in logs, events and records.',
  );

/** Problems of a workflow's secret names: pattern, reserved prefixes, count, clashes with env. */
export function secretNameIssues(w: {
  env?: Record<string, string>;
  secrets?: Record<string, unknown>;
  steps: ReadonlyArray<{ id: string; env?: Record<string, string> }>;
}): Array<{ path: string[]; message: string }> {
  const names = Object.keys(w.secrets ?? {});
  const issues: Array<{ path: string[]; message: string }> = [];
  if (names.length > MAX_SECRETS) {
    issues.push({ path: ['secrets'], message: `at most ${MAX_SECRETS} secrets` });
  }
  for (const name of names) {
    const path = ['secrets', name];
    const prefix = reservedPrefix(name);
    const step = w.steps.find((s) => s.env?.[name] !== undefined);
    if (!ENV_NAME_PATTERN.test(name)) {
      issues.push({ path, message: 'secret names are variable names (letters, digits and _)' });
    } else if (prefix !== undefined) {
      issues.push({ path, message: `secret names cannot start with ${prefix}` });
    } else if (w.env?.[name] !== undefined) {
      issues.push({ path, message: "also set by the workflow's env" });
    } else if (step !== undefined) {
      issues.push({ path, message: `also set by the env of step '${step.id}'` });
    }
  }
  return issues;
}

const retryObjectSchema = z.strictObject({
  attempts: z
    .number()
    .int()
    .min(1)
    .max(MAX_ATTEMPTS)
    .optional()
    .describe('Total attempts, first included. Default 1.'),
  backoff: durationSchema.optional().describe('Delay before the first retry. Default 1s.'),
  factor: z
    .number()
    .min(1)
    .max(100)
    .optional()
    .describe('Multiplier per further retry. Default 2.'),
  max: durationSchema.optional().describe('Upper bound of one delay. Default 5m.'),
  jitter: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe('Random share of each delay (0..1). Default 0.'),
});
const retrySchema = z
  .union([z.number().int().min(1).max(MAX_ATTEMPTS), retryObjectSchema], {
    error: 'retry must be a number of attempts or {attempts, backoff, factor, max, jitter}',
  })
  .transform((r) => (typeof r === 'number' ? { attempts: r } : r))
  .describe('Retry policy, or just the number of attempts.');
type RawRetry = z.output<typeof retrySchema>;

const INPUT_TYPES = ['string', 'number', 'boolean', 'object', 'array'] as const;

/** The JSON type name of a value, as input `type` declarations use it. */
export function valueType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isFinite(v) ? 'number' : 'non-finite number';
  return typeof v;
}

const inputSchema = z
  .strictObject({
    description: text(4096).optional(),
    default: z.unknown().optional(),
    required: z.boolean().optional().describe('Defaults to true unless a default is given.'),
    type: z.enum(INPUT_TYPES).optional(),
  })
  .superRefine((input, ctx) => {
    if (input.required === true && input.default !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['required'],
        message: 'a required input cannot have a default',
      });
    }
    if (input.type && input.default !== undefined && valueType(input.default) !== input.type) {
      ctx.addIssue({
        code: 'custom',
        path: ['default'],
        message: `default is ${valueType(input.default)} but type is ${input.type}`,
      });
    }
  });

/** A step's fields but `rollback` (which takes a body made of them). */
const stepFields = z.strictObject({
  id: idSchema.describe(
    'Step id: unique in the workflow; names the step in needs, outputs and logs.',
  ),
  exec: z
    .array(text(131_072), {
      error: (iss) =>
        iss.code === 'invalid_type'
          ? 'exec must be an argv array of strings (use run for a shell script)'
          : undefined,
    })
    .min(1, 'exec must not be empty')
    .refine((argv) => argv[0] !== '', 'exec[0] (the program) must not be empty')
    .optional()
    .describe('Program and arguments, run without a shell; items may use ${{ inputs.x }}.'),
  run: text(1_000_000)
    .refine((s) => s.trim() !== '', 'run must not be empty')
    .optional()
    .describe('Script for the shell; inputs arrive only as INPUT_<NAME> variables.'),
  sleep: durationSchema.optional().describe('Wait this long, then succeed.'),
  noop: z
    .union([z.literal(true), z.null(), z.strictObject({})], {
      error: 'noop must be true, null or {}',
    })
    .optional()
    .describe('Succeed at once.'),
  http: httpCallSchema.optional(),
  nats: natsCallSchema.optional(),
  workflow: workflowCallSchema.optional(),
  approval: approvalGateSchema.optional(),
  needs: z
    .union(
      [
        z.string().min(1),
        z.array(z.string().min(1)),
        z.strictObject({
          steps: z
            .array(z.string().min(1))
            .min(1, 'needs.steps must name at least one step')
            .describe('The steps that must end first.'),
          when: z
            .enum(['success', 'failure', 'always'])
            .optional()
            .describe('success (default): all succeeded; failure: one failed; always: all ended.'),
        }),
      ],
      {
        error:
          'needs must be a step id, a list of step ids or {steps: [...], when: success | failure | always}',
      },
    )
    .optional()
    .describe(
      'Steps that must end first. {steps, when}: run when they all succeeded (success, the default), when one failed (failure), or whatever they ended as (always).',
    ),
  if: text(MAX_CONDITION_LENGTH)
    .optional()
    .describe(
      'A CEL condition over inputs, steps.<id>.status, steps.<id>.outputs, env and execution: false skips the step (and its dependents, unless their needs say when: always).',
    ),
  forEach: forEachSchema.optional(),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(MAX_CONCURRENCY)
    .optional()
    .describe("Instances of a forEach step running at once. Default: the workflow's concurrency."),
  timeout: positiveDurationSchema.optional(),
  retry: retrySchema.optional(),
  env: envSchema.optional(),
  cwd: text(4096)
    .min(1)
    .optional()
    .describe(
      "Working directory of the step's process (and of its artifacts); the server's by default.",
    ),
  continueOnError: z
    .boolean()
    .optional()
    .describe('A failure of this step does not fail the run (its dependents still see it failed).'),
  pauseBefore: z
    .boolean()
    .optional()
    .describe(
      'A breakpoint: the run pauses (execution.paused, reason breakpoint) when this step is next to start; resuming the run starts it.',
    ),
  shell: z
    .string()
    .regex(/^\S+$/, 'shell must be a program name or path')
    .optional()
    .describe('Shell of a run step. Default sh.'),
  outputs: z
    .literal('json', { error: "outputs must be 'json' (stdout is one JSON object)" })
    .optional()
    .describe(
      "'json': the step's stdout is one JSON object, its outputs. Without it a step may write key=value lines (or one JSON object) to the file named by $STATOR_OUTPUT.",
    ),
  artifacts: artifactsSchema.optional(),
});

/** Step kinds a rollback may be (an approval or a fan-out does not undo anything). */
const ROLLBACK_KINDS = ['exec', 'run', 'sleep', 'noop', 'http', 'nats', 'workflow'] as const;

/** A step's `rollback:` body: one step kind with its own timeout, retry, env, cwd and shell. */
const rollbackSchema = z
  .strictObject({
    ...Object.fromEntries(ROLLBACK_KINDS.map((k) => [k, stepFields.shape[k]])),
    timeout: stepFields.shape.timeout,
    retry: stepFields.shape.retry,
    env: stepFields.shape.env,
    cwd: stepFields.shape.cwd,
    shell: stepFields.shape.shell,
  } as Pick<
    (typeof stepFields)['shape'],
    (typeof ROLLBACK_KINDS)[number] | 'timeout' | 'retry' | 'env' | 'cwd' | 'shell'
  >)
  .superRefine((body, ctx) => {
    const kinds = ROLLBACK_KINDS.filter((k) => body[k] !== undefined);
    if (kinds.length !== 1) {
      const got = kinds.length ? ` (got ${kinds.join(', ')})` : '';
      ctx.addIssue({
        code: 'custom',
        message: `a rollback must have exactly one of ${ROLLBACK_KINDS.join(', ')}${got}`,
      });
    }
    if (body.shell !== undefined && body.run === undefined) {
      ctx.addIssue({ code: 'custom', path: ['shell'], message: 'shell applies only to run steps' });
    }
  })
  .describe('A rollback: a step body without id, needs, if or forEach.');

/** The raw step object schema (the JSON Schema export adds the kind constraint to it). */
export const rawStepSchema = stepFields
  .extend({
    rollback: rollbackSchema
      .optional()
      .describe(
        'What undoes this step: a step body (exec, run, sleep, noop, http, nats or workflow, with its own timeout, retry, env, cwd, shell; no id, needs, if or forEach). When the run fails (a step fails, a verify step fails, or the run times out), the rollbacks of the steps that succeeded run one at a time, in the reverse order of completion.',
      ),
  })
  .superRefine((step, ctx) => {
    const kinds = STEP_KINDS.filter((k) => step[k] !== undefined);
    if (kinds.length !== 1) {
      const got = kinds.length ? ` (got ${kinds.join(', ')})` : '';
      ctx.addIssue({
        code: 'custom',
        message: `step '${step.id}' must have exactly one of ${STEP_KINDS.join(', ')}${got}`,
      });
    }
    if (step.concurrency !== undefined && step.forEach === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['concurrency'],
        message: 'concurrency applies only to forEach steps',
      });
    }
    if (step.shell !== undefined && step.run === undefined) {
      ctx.addIssue({ code: 'custom', path: ['shell'], message: 'shell applies only to run steps' });
    }
    if (step.outputs !== undefined && step.exec === undefined && step.run === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['outputs'],
        message: 'outputs applies only to exec and run steps',
      });
    }
    if (step.artifacts !== undefined && step.exec === undefined && step.run === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['artifacts'],
        message: 'artifacts applies only to exec and run steps',
      });
    }
    if (step.approval !== undefined) {
      for (const field of ['timeout', 'retry'] as const) {
        if (step[field] === undefined) continue;
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${field} does not apply to approval steps (approval.timeout bounds the wait; a rejection is final)`,
        });
      }
    }
    if (
      step.cwd !== undefined &&
      (step.http ?? step.nats ?? step.workflow ?? step.approval) !== undefined
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['cwd'],
        message: 'cwd applies only to exec and run steps',
      });
    }
  });
type RawStep = z.output<typeof rawStepSchema>;

/** The workflow schema before resolution (input side; durations already in ms on output). */
export const rawWorkflowSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema reference for editors; ignored.'),
    id: idSchema.describe('Workflow id: a slug, also a NATS subject token.'),
    name: text(256).optional().describe('A human name, shown by the dashboard and the CLI.'),
    description: text(16_384).optional().describe('What the workflow does (free text).'),
    inputs: z
      .record(
        z
          .string()
          .regex(
            INPUT_NAME_PATTERN,
            'input names are letters, digits and _, not starting with a digit',
          ),
        inputSchema,
      )
      .superRefine((inputs, ctx) => {
        for (const clash of inputEnvClashes(Object.keys(inputs))) {
          ctx.addIssue({
            code: 'custom',
            path: [clash.name],
            message: inputEnvClashMessage(clash),
          });
        }
      })
      .optional()
      .describe('Declared inputs; without this key the workflow takes any object.'),
    env: envSchema.optional(),
    secrets: secretsSchema.optional(),
    timeout: positiveDurationSchema.optional().describe('Whole-run timeout.'),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(MAX_CONCURRENCY)
      .optional()
      .describe('Max parallel steps. Default 16.'),
    defaults: z
      .strictObject({ timeout: positiveDurationSchema.optional(), retry: retrySchema.optional() })
      .optional()
      .describe('Step timeout and retry used when a step sets none.'),
    triggers: triggerListSchema.optional(),
    overlap: overlapSchema.optional(),
    maxQueued: maxQueuedSchema.optional(),
    maxQueuedExecutions: z
      .number()
      .int()
      .min(1)
      .max(MAX_QUEUED_EXECUTIONS)
      .optional()
      .describe(
        'Runs of this workflow waiting for an engine slot (across all nodes in cluster mode); one more execute is refused (429 queue_full). Default: only the node bound.',
      ),
    catchUp: catchUpSchema.optional(),
    runConcurrency: runConcurrencySchema.optional(),
    rateLimit: rateLimitSchema.optional(),
    debounce: debounceSchema.optional(),
    policy: policySchema.optional(),
    environment: z
      .string()
      .regex(ID_PATTERN, ID_MESSAGE)
      .optional()
      .describe(
        "Where runs act, e.g. 'production': a plan flags a production workflow without an approval gate.",
      ),
    approval: approvalGateSchema
      .optional()
      .describe(
        `A gate before the first step: the run waits awaiting_approval at a step '${GATE_STEP_ID}' that every step without needs needs (approve or reject it like an approval step).`,
      ),
    steps: z
      .array(rawStepSchema)
      .min(1, 'a workflow needs at least one step')
      .max(MAX_STEPS)
      .describe(`The steps (1 to ${MAX_STEPS}): a DAG through their needs.`),
    verify: z
      .array(rawStepSchema)
      .max(MAX_STEPS)
      .optional()
      .describe(
        'Checks run after every step has succeeded (an HTTP health probe, a script): full steps with ids, each needing every other step (and any verify step it names in needs). A failing verify step fails the run and starts its rollbacks; when a step fails, verify steps are skipped.',
      ),
  })
  .superRefine((w, ctx) => {
    if (w.approval !== undefined) {
      const taken = w.steps.findIndex((s) => s.id === GATE_STEP_ID);
      if (taken >= 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['steps', taken, 'id'],
          message: `step id '${GATE_STEP_ID}' is taken by the workflow's approval gate`,
        });
      }
    }
    if (w.maxQueued !== undefined && w.overlap !== 'queue') {
      ctx.addIssue({
        code: 'custom',
        path: ['maxQueued'],
        message: 'maxQueued applies only to overlap: queue',
      });
    }
    for (const issue of secretNameIssues(w)) ctx.addIssue({ code: 'custom', ...issue });
  });
type RawWorkflow = z.output<typeof rawWorkflowSchema>;

function resolveRetry(step: RawRetry | undefined, defaults: RawRetry | undefined): RetryPolicy {
  const r = { ...defaults, ...step };
  return {
    attempts: r.attempts ?? DEFAULT_RETRY.attempts,
    backoffMs: r.backoff ?? DEFAULT_RETRY.backoffMs,
    factor: r.factor ?? DEFAULT_RETRY.factor,
    maxMs: r.max ?? DEFAULT_RETRY.maxMs,
    jitter: r.jitter ?? DEFAULT_RETRY.jitter,
  };
}

function resolveStep(
  s: RawStep,
  defaultRetry: RawRetry | undefined,
  concurrency: number,
): StepDefinition {
  const listed =
    s.needs === undefined
      ? []
      : typeof s.needs === 'string'
        ? [s.needs]
        : Array.isArray(s.needs)
          ? s.needs
          : s.needs.steps;
  const needs = [...new Set(listed)];
  const when = typeof s.needs === 'object' && !Array.isArray(s.needs) ? s.needs.when : undefined;
  const base = {
    id: s.id,
    needs,
    ...(when !== undefined && when !== 'success' && { when }),
    ...(s.if !== undefined && { if: s.if }),
    ...(s.forEach !== undefined && {
      forEach: s.forEach,
      concurrency: s.concurrency ?? concurrency,
    }),
    ...(s.timeout !== undefined && { timeoutMs: s.timeout }),
    retry: resolveRetry(s.retry, defaultRetry),
    env: s.env ?? {},
    ...(s.cwd !== undefined && { cwd: s.cwd }),
    continueOnError: s.continueOnError ?? false,
    ...(s.pauseBefore === true && { pauseBefore: true }),
    ...(s.rollback !== undefined && {
      rollback: resolveStep(
        { ...s.rollback, id: `${s.id}${ROLLBACK_SUFFIX}` } as RawStep,
        defaultRetry,
        concurrency,
      ),
    }),
  };
  const outputs = {
    ...(s.outputs !== undefined && { outputs: s.outputs }),
    ...(s.artifacts !== undefined && { artifacts: s.artifacts }),
  };
  if (s.exec !== undefined) return { ...base, kind: 'exec', exec: s.exec, ...outputs };
  if (s.run !== undefined)
    return { ...base, kind: 'run', run: s.run, shell: s.shell ?? DEFAULT_SHELL, ...outputs };
  if (s.sleep !== undefined) return { ...base, kind: 'sleep', sleepMs: s.sleep };
  if (s.http !== undefined) return { ...base, kind: 'http', http: s.http };
  if (s.nats !== undefined) return { ...base, kind: 'nats', nats: s.nats };
  if (s.workflow !== undefined) return { ...base, kind: 'workflow', workflow: s.workflow };
  if (s.approval !== undefined) return { ...base, kind: 'approval', approval: s.approval };
  return { ...base, kind: 'noop' };
}

function resolveInput(i: z.output<typeof inputSchema>): InputDefinition {
  return {
    ...(i.description !== undefined && { description: i.description }),
    ...(i.default !== undefined && { default: i.default }),
    required: i.required ?? i.default === undefined,
    ...(i.type !== undefined && { type: i.type }),
  };
}

/**
 * A workflow-level gate as a step: an approval step `approval` first, needed by every step that
 * needs nothing else, so no step starts before it is approved.
 */
function withGate(steps: StepDefinition[], gate: ApprovalGate | undefined): StepDefinition[] {
  if (gate === undefined) return steps;
  const first: StepDefinition = {
    id: GATE_STEP_ID,
    needs: [],
    retry: { ...DEFAULT_RETRY, attempts: 1 },
    env: {},
    continueOnError: false,
    kind: 'approval',
    approval: gate,
  };
  return [first, ...steps.map((s) => (s.needs.length > 0 ? s : { ...s, needs: [GATE_STEP_ID] }))];
}

/**
 * Workflow-level `verify:` steps after the others: each needs every sink of the other steps (so
 * all of them) besides what it names, and is flagged `verify: true`.
 */
function withVerify(steps: StepDefinition[], verify: StepDefinition[]): StepDefinition[] {
  if (verify.length === 0) return steps;
  const needed = new Set<string>();
  for (const s of steps) for (const n of s.needs) needed.add(n);
  const sinks = steps.filter((s) => !needed.has(s.id)).map((s) => s.id);
  return [
    ...steps,
    ...verify.map((v) => ({
      ...v,
      needs: [...new Set([...sinks, ...v.needs])],
      verify: true as const,
    })),
  ];
}

/** Turns the checked raw definition into the resolved WorkflowDefinition. */
export function resolveWorkflow(w: RawWorkflow): WorkflowDefinition {
  const inputs =
    w.inputs && Object.fromEntries(Object.entries(w.inputs).map(([k, v]) => [k, resolveInput(v)]));
  return {
    id: w.id,
    ...(w.name !== undefined && { name: w.name }),
    ...(w.description !== undefined && { description: w.description }),
    ...(inputs !== undefined && { inputs }),
    env: w.env ?? {},
    ...(w.secrets !== undefined && { secrets: w.secrets }),
    ...(w.timeout !== undefined && { timeoutMs: w.timeout }),
    concurrency: w.concurrency ?? DEFAULT_CONCURRENCY,
    ...(w.defaults?.timeout !== undefined && { defaultTimeoutMs: w.defaults.timeout }),
    steps: withVerify(
      withGate(
        w.steps.map((s) => resolveStep(s, w.defaults?.retry, w.concurrency ?? DEFAULT_CONCURRENCY)),
        w.approval,
      ),
      (w.verify ?? []).map((s) =>
        resolveStep(s, w.defaults?.retry, w.concurrency ?? DEFAULT_CONCURRENCY),
      ),
    ),
    ...(w.triggers !== undefined && { triggers: w.triggers }),
    ...(w.overlap !== undefined && { overlap: w.overlap }),
    ...(w.maxQueued !== undefined && { maxQueued: w.maxQueued }),
    ...(w.maxQueuedExecutions !== undefined && { maxQueuedExecutions: w.maxQueuedExecutions }),
    ...(w.catchUp !== undefined && { catchUp: w.catchUp }),
    ...(w.runConcurrency !== undefined && { runConcurrency: w.runConcurrency }),
    ...(w.rateLimit !== undefined && {
      rateLimit: { key: w.rateLimit.key, limit: w.rateLimit.limit, perMs: w.rateLimit.per },
    }),
    ...(w.debounce !== undefined && {
      debounce: { key: w.debounce.key, periodMs: w.debounce.period },
    }),
    ...(w.environment !== undefined && { environment: w.environment }),
    ...(w.policy !== undefined && { policy: w.policy }),
  };
}

/** The workflow schema: raw definition in, resolved WorkflowDefinition out (no DAG checks). */
export const workflowSchema = rawWorkflowSchema.transform(resolveWorkflow);

/** A workflow definition as authored (YAML/JSON shape). */
export type WorkflowDocument = z.input<typeof workflowSchema>;

/** Every field name the schema knows, for "did you mean" hints on unknown fields. */
export const KNOWN_FIELDS: readonly string[] = [
  ...new Set([
    ...Object.keys(rawWorkflowSchema.shape),
    ...Object.keys(rawStepSchema.shape),
    ...Object.keys(retryObjectSchema.shape),
    ...Object.keys(inputSchema.shape),
    'file',
  ]),
];

/**
 * Step conditions: `if:` is a CEL expression (Common Expression Language, evaluated by
 * @marcbachmann/cel-js: no `eval`, no `Function`, bounded in size) over `inputs`, `steps`
 * (`steps.<id>.status` and `steps.<id>.outputs.<key>`), `env` (the workflow's and the step's
 * `env`) and `execution` (`id`, `workflowId`). It is type-checked when the workflow is registered
 * (a boolean, or a value whose type is known only at run time) and evaluated when the step's
 * needs are met: false skips the step.
 * @module
 */
import { Environment } from '@marcbachmann/cel-js';
import type { FieldIssue } from '../errors.ts';
import type { WorkflowDefinition } from './types.ts';

/** The variables a condition sees. */
export interface ConditionContext {
  inputs: Record<string, unknown>;
  steps: Record<string, { status: string; outputs: Record<string, unknown> }>;
  env: Record<string, string>;
  execution: { id: string; workflowId: string };
}

/** Characters a condition may have. */
export const MAX_CONDITION_LENGTH = 4096;

/** The CEL environment of conditions and `forEach` expressions (same variables, same limits). */
export const celEnvironment = new Environment({
  unlistedVariablesAreDyn: false,
  limits: { maxAstNodes: 2000, maxDepth: 32 },
})
  .registerVariable('inputs', 'map<string, dyn>')
  .registerVariable('steps', 'map<string, dyn>')
  .registerVariable('env', 'map<string, string>')
  .registerVariable('execution', 'map<string, string>');

/** Parsed expressions kept at most; past it the cache starts over (bounded memory). */
const MAX_PARSED = 1000;
const parsed = new Map<string, (ctx: Record<string, unknown>) => unknown>();

/**
 * Evaluates `expression` in the CEL environment, parsing each distinct text once: a condition
 * or a forEach list is evaluated once per step start, and parsing cost ten times what
 * evaluating does (bench/if-cost.ts).
 */
export function evaluateCel(expression: string, ctx: Record<string, unknown>): unknown {
  let run = parsed.get(expression);
  if (run === undefined) {
    if (parsed.size >= MAX_PARSED) parsed.clear();
    run = celEnvironment.parse(expression) as (ctx: Record<string, unknown>) => unknown;
    parsed.set(expression, run);
  }
  return run(ctx);
}

/** Why `expression` is not a valid condition, or undefined when it is one. */
export function conditionError(expression: string): string | undefined {
  const checked = celEnvironment.check(expression);
  if (!checked.valid) return firstLine(checked.error?.message ?? 'invalid expression');
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    return `must be true or false, not ${checked.type}`;
  }
  return undefined;
}

/** The `if:` of every step, checked (see conditionError). */
export function checkConditions(def: WorkflowDefinition): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const ids = new Set(def.steps.map((s) => s.id));
  def.steps.forEach((step, i) => {
    if (step.if === undefined) return;
    const path = `steps[${i}].if`;
    const error = conditionError(step.if);
    if (error) issues.push({ path, message: `if: ${error}` });
    for (const id of conditionSteps(step.if)) {
      if (!ids.has(id)) issues.push({ path, message: `if: no step '${id}' in this workflow` });
    }
  });
  return issues;
}

/**
 * Evaluates a condition: true or false, or an Error saying why it could not be (a missing key, a
 * value of the wrong type at run time, a result that is not a boolean).
 */
export function evaluateCondition(expression: string, ctx: ConditionContext): boolean | Error {
  let value: unknown;
  try {
    value = evaluateCel(expression, ctx as unknown as Record<string, unknown>);
  } catch (err) {
    return new Error(`if: ${firstLine((err as Error).message)}`);
  }
  return typeof value === 'boolean' ? value : new Error(`if: gave ${typeof value}, not a boolean`);
}

/** The step ids a condition mentions (`steps.<id>` or `steps["<id>"]`), to build only those. */
export function conditionSteps(expression: string): string[] {
  const ids = new Set<string>();
  for (const m of expression.matchAll(
    /\bsteps\s*(?:\.\s*([A-Za-z0-9_-]+)|\[\s*["']([^"']+)["']\s*\])/g,
  )) {
    ids.add(m[1] ?? m[2]!);
  }
  return [...ids];
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

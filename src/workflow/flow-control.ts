/**
 * Per-workflow flow control, keyed by a CEL expression over the run's input (`inputs`):
 * - `runConcurrency: {key, limit}`: at most `limit` runs of one key at once (the workflow's
 *   numeric `concurrency` already means parallel steps of one run, so the per-key run bound has
 *   a name of its own instead of a second meaning for that field);
 * - `rateLimit: {key, limit, per}`: at most `limit` run starts per `per` per key;
 * - `debounce: {key, period}`: a burst of requests of one key (each within `period` of the one
 *   before) becomes one run, the last one with its input: the earlier ones end `cancelled`
 *   (error details `{reason: "debounced", debouncedInto: <the run that absorbed them>}`).
 * The key expression gives a string, an integer or a boolean (turned into text); a missing key
 * is the empty key `""` only when the expression cannot be evaluated on the input (the run is
 * then limited with every other such run rather than refused). Expressions are type-checked at
 * registration (422) and evaluated by @marcbachmann/cel-js (no `eval`, bounded in size).
 * @module
 */
import { Environment } from '@marcbachmann/cel-js';
import { z } from 'zod';
import type { FieldIssue } from '../errors.ts';
import { positiveDurationSchema } from './duration.ts';
import { MAX_CONDITION_LENGTH } from './conditions.ts';
import type { WorkflowDefinition } from './types.ts';

/** Upper bound of a flow-control `limit`. */
export const MAX_FLOW_LIMIT = 10_000;

/** The CEL environment of key expressions: the run's input only. */
const keyEnvironment = new Environment({
  unlistedVariablesAreDyn: false,
  limits: { maxAstNodes: 500, maxDepth: 16 },
}).registerVariable('inputs', 'map<string, dyn>');

const keySchema = z
  .string()
  .min(1, 'key must not be empty')
  .max(MAX_CONDITION_LENGTH)
  .describe("A CEL expression over the run's input giving the key, e.g. 'inputs.tenant'.");

const limitSchema = z.number().int().min(1).max(MAX_FLOW_LIMIT);

/** `runConcurrency`: at most `limit` runs of one key at once. */
export const runConcurrencySchema = z
  .strictObject({
    key: keySchema,
    limit: limitSchema.describe('Runs of one key running at once.'),
  })
  .describe(
    'At most limit runs of one key at once (the key is a CEL expression over inputs); more wait pending, highest priority first, FIFO within one.',
  );

/** `rateLimit`: at most `limit` run starts per `per` per key. */
export const rateLimitSchema = z
  .strictObject({
    key: keySchema,
    limit: limitSchema.describe('Run starts of one key within `per`.'),
    per: positiveDurationSchema.describe("The window, e.g. '1m'."),
  })
  .describe(
    'At most limit run starts per key within per; more wait pending until the window lets them start.',
  );

/** `debounce`: a burst of requests of one key within `period` becomes one run, the last. */
export const debounceSchema = z
  .strictObject({
    key: keySchema,
    period: positiveDurationSchema.describe(
      "How long a key stays quiet before its last request runs, e.g. '5s'.",
    ),
  })
  .describe(
    'A burst of executes of one key, each within period of the one before, becomes one run with the last input; the earlier runs end cancelled (reason debounced, debouncedInto: the run that absorbed them).',
  );

/** A workflow's flow controls, as resolved. */
export interface FlowControls {
  runConcurrency?: { key: string; limit: number };
  /** `perMs`: the window, ms. */
  rateLimit?: { key: string; limit: number; perMs: number };
  /** `periodMs`: the quiet period, ms. */
  debounce?: { key: string; periodMs: number };
}

/** The flow controls of a definition, or undefined when it has none. */
export function flowControlsOf(def: WorkflowDefinition): FlowControls | undefined {
  if (!def.runConcurrency && !def.rateLimit && !def.debounce) return undefined;
  return {
    ...(def.runConcurrency && { runConcurrency: def.runConcurrency }),
    ...(def.rateLimit && { rateLimit: def.rateLimit }),
    ...(def.debounce && { debounce: def.debounce }),
  };
}

/** Why a key expression is not valid, or undefined. */
export function keyExpressionError(expression: string): string | undefined {
  const checked = keyEnvironment.check(expression);
  if (!checked.valid) return firstLine(checked.error?.message ?? 'invalid expression');
  if (!['string', 'int', 'uint', 'bool', 'dyn'].includes(checked.type ?? 'dyn')) {
    return `must give a string, an integer or a boolean, not ${checked.type}`;
  }
  return undefined;
}

/** The key expressions of a definition, checked (registration). */
export function checkFlowKeys(def: WorkflowDefinition): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const field of ['runConcurrency', 'rateLimit', 'debounce'] as const) {
    const key = def[field]?.key;
    if (key === undefined) continue;
    const error = keyExpressionError(key);
    if (error) issues.push({ path: `${field}.key`, message: `key: ${error}` });
  }
  return issues;
}

/** The key of one run: the expression's value as text ("" when it cannot be evaluated). */
export function flowKey(expression: string, inputs: Record<string, unknown>): string {
  try {
    const value = keyEnvironment.evaluate(expression, { inputs });
    return typeof value === 'string' ? value : String(value);
  } catch {
    return '';
  }
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim();
}

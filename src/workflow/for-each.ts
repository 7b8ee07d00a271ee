/**
 * Fan-out: a step with `forEach` runs one instance per item of a list, a literal list or a CEL
 * expression (the variables of conditions: `inputs`, `steps`, `env`, `execution`) evaluated when
 * the step's needs are met. Instance `n` of step `x` has the step id `x[n]` (brackets are never
 * in a declared id, so it cannot clash); it sees its item as `${{ item }}` / `${{ item.<path> }}`
 * in argv items and as `STATOR_ITEM` (strings as they are, other values as JSON). Bounded: at
 * most MAX_FOR_EACH_ITEMS items, MAX_ITEM_BYTES per item and MAX_FOR_EACH_BYTES in all (JSON).
 * @module
 */
import { z } from 'zod';
import type { FieldIssue } from '../errors.ts';
import { celEnvironment, conditionSteps, evaluateCel, MAX_CONDITION_LENGTH } from './conditions.ts';
import type { ConditionContext } from './conditions.ts';
import type { StepDefinition, WorkflowDefinition } from './types.ts';

/** Items one `forEach` may yield. */
export const MAX_FOR_EACH_ITEMS = 10_000;
/** JSON bytes of one item (it reaches a process as one environment variable). */
export const MAX_ITEM_BYTES = 65_536;
/** JSON bytes of the whole list. */
export const MAX_FOR_EACH_BYTES = 1_048_576;

const noNul = (s: string) => !s.includes('\0');

/** `forEach` as written: a CEL expression yielding a list, or a literal list. */
export const forEachSchema = z
  .union(
    [
      z
        .string()
        .min(1)
        .max(MAX_CONDITION_LENGTH)
        .refine(noNul, 'must not contain NUL')
        .describe('A CEL expression yielding a list, evaluated when the step is due.'),
      // Its length and sizes are checked below (a failed branch would hide the message).
      z
        .array(z.unknown())
        .meta({ maxItems: MAX_FOR_EACH_ITEMS })
        .describe(`A literal list of at most ${MAX_FOR_EACH_ITEMS} items.`),
    ],
    { error: 'forEach must be a CEL expression (text) or a list' },
  )
  .superRefine((v, ctx) => {
    if (typeof v === 'string') return;
    const problem = listProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe(
    `Runs one instance of the step per item (at most ${MAX_FOR_EACH_ITEMS}): a list, or a CEL expression over inputs, steps, env and execution yielding one. Each instance sees \${{ item }} and STATOR_ITEM; the step's outputs are the list of its instances' outputs.`,
  );

/** The step id of instance `index` of step `stepId`. */
export function instanceStepId(stepId: string, index: number): string {
  return `${stepId}[${index}]`;
}

const INSTANCE_ID = /^(.+)\[(\d+)\]$/;

/** The step and index of an instance's step id; undefined for a declared step's id. */
export function parseInstanceId(id: string): { stepId: string; index: number } | undefined {
  const m = INSTANCE_ID.exec(id);
  return m ? { stepId: m[1]!, index: Number(m[2]) } : undefined;
}

/** Why a list cannot be fanned out over (count, sizes, non-JSON values), or undefined. */
export function listProblem(items: readonly unknown[]): string | undefined {
  if (items.length > MAX_FOR_EACH_ITEMS) {
    return `forEach has ${items.length} items; at most ${MAX_FOR_EACH_ITEMS} are run`;
  }
  let total = 2;
  for (let i = 0; i < items.length; i++) {
    let json: string | undefined;
    try {
      json = JSON.stringify(items[i]);
    } catch {
      json = undefined;
    }
    if (json === undefined) return `forEach item ${i} is not a JSON value`;
    const bytes = Buffer.byteLength(json);
    if (bytes > MAX_ITEM_BYTES) {
      return `forEach item ${i} takes ${bytes} bytes as JSON; at most ${MAX_ITEM_BYTES} per item`;
    }
    total += bytes + 1;
    if (total > MAX_FOR_EACH_BYTES) {
      return `forEach items take more than ${MAX_FOR_EACH_BYTES} bytes as JSON`;
    }
  }
  return undefined;
}

/** The `forEach` of every step: a list type where CEL can tell, steps it names upstream. */
export function checkForEach(def: WorkflowDefinition): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const needs = new Map(def.steps.map((s) => [s.id, s.needs]));
  def.steps.forEach((step, i) => {
    if (typeof step.forEach !== 'string') return;
    const path = `steps[${i}].forEach`;
    const checked = celEnvironment.check(step.forEach);
    if (!checked.valid) {
      issues.push({ path, message: `forEach: ${firstLine(checked.error?.message)}` });
    } else if (checked.type !== 'dyn' && !String(checked.type).startsWith('list')) {
      issues.push({ path, message: `forEach: must yield a list, not ${checked.type}` });
    }
    const ups = upstream(needs, step.id);
    for (const id of conditionSteps(step.forEach)) {
      if (!needs.has(id))
        issues.push({ path, message: `forEach: no step '${id}' in this workflow` });
      else if (!ups.has(id)) {
        issues.push({
          path,
          message: `forEach: '${id}' is not a step that '${step.id}' needs (directly or through other steps), so it has not ended when the list is made`,
        });
      }
    }
  });
  return issues;
}

/**
 * The items of a step's `forEach`: the literal list, or its expression evaluated over `ctx`
 * (CEL integers become numbers). An Error says why there is no list to run.
 */
export function evaluateForEach(step: StepDefinition, ctx: ConditionContext): unknown[] | Error {
  const source = step.forEach;
  if (source === undefined) return new Error(`step '${step.id}' has no forEach`);
  let items: unknown;
  if (typeof source === 'string') {
    try {
      items = toJson(evaluateCel(source, ctx as unknown as Record<string, unknown>));
    } catch (err) {
      return new Error(`forEach: ${firstLine((err as Error).message)}`);
    }
  } else items = source;
  if (!Array.isArray(items)) {
    const kind = items === null ? 'null' : typeof items;
    return new Error(`forEach: yielded ${kind}, not a list`);
  }
  const problem = listProblem(items);
  return problem === undefined ? items : new Error(problem);
}

/** A CEL value as JSON: bigint integers as numbers (as text beyond 2^53), Maps as objects. */
function toJson(v: unknown): unknown {
  if (typeof v === 'bigint') {
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(v)
      : v.toString();
  }
  if (Array.isArray(v)) return v.map(toJson);
  if (v instanceof Map) {
    return Object.fromEntries([...v].map(([k, x]) => [String(k), toJson(x)]));
  }
  if (v instanceof Uint8Array) throw new Error('bytes are not a JSON value');
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJson(x)]));
  }
  return v;
}

/** Every step `stepId` needs, directly or through other steps. */
function upstream(needs: ReadonlyMap<string, readonly string[]>, stepId: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(needs.get(stepId) ?? [])];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(needs.get(id) ?? []));
  }
  return seen;
}

function firstLine(text: string | undefined): string {
  return (text ?? 'invalid expression').split('\n')[0]!.trim();
}

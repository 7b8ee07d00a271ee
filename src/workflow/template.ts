/**
 * Templating of `exec` argv items: `${{ inputs.name }}`, `${{ env.NAME }}`, `${{ execution.id }}`,
 * `${{ workflow.id }}`, `${{ step.id }}`, `${{ steps.<id>.outputs.<key> }}` (an output of a step
 * this one needs, directly or not). Each item renders to exactly one argv item (no word
 * splitting, no shell). `$${{` writes a literal `${{`. `run` scripts are never templated.
 * @module
 */
import { NonRetryableError, type FieldIssue } from '../errors.ts';
import {
  INPUT_ENV_PREFIX,
  inputEnvName,
  itemToText,
  STATOR_ENV,
  STEPS_ENV_PREFIX,
  stepEnvironment,
  valueToText,
} from './step-env.ts';
import type { StepEnvironmentInput } from './step-env.ts';
import type { StepDefinition, WorkflowDefinition } from './types.ts';

const TEMPLATE = /(\$?)\$\{\{(.*?)\}\}/g;
const REFERENCE = /^(inputs|env)\.([A-Za-z_][A-Za-z0-9_-]*)$|^(execution|workflow|step)\.id$/;
const OUTPUT_REFERENCE = /^steps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z_][A-Za-z0-9_-]*)$/;
/** `item`, `item.<key>.<key>...` (a number indexes a list) and `item_index` of a forEach step. */
const ITEM_REFERENCE = /^item((?:\.[A-Za-z0-9_-]+)*)$|^(item_index)$/;

/** One `${{ ... }}` reference in a template. */
export type TemplateRef =
  | { kind: 'inputs' | 'env'; name: string; text: string }
  | { kind: 'execution' | 'workflow' | 'step'; text: string }
  | { kind: 'output'; stepId: string; name: string; text: string }
  | { kind: 'item'; path: string[]; text: string }
  | { kind: 'itemIndex'; text: string };

/** What rendering sees. */
export interface TemplateContext {
  inputs: Record<string, unknown>;
  /** The step environment (stepEnvironment), not the process environment. */
  env: Record<string, string>;
  executionId: string;
  workflowId: string;
  stepId: string;
  /** Outputs of the steps that succeeded before this one, by step id. */
  outputs?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** The item of a forEach instance, and its index in the list. */
  item?: { value: unknown; index: number };
}

/** True when an item contains a `${{` placeholder. */
export function hasTemplate(item: string): boolean {
  return item.includes('${{');
}

function parseRef(expr: string): TemplateRef | undefined {
  const text = expr.trim();
  const out = OUTPUT_REFERENCE.exec(text);
  if (out) return { kind: 'output', stepId: out[1]!, name: out[2]!, text };
  const item = ITEM_REFERENCE.exec(text);
  if (item?.[2]) return { kind: 'itemIndex', text };
  if (item) return { kind: 'item', path: item[1] ? item[1].slice(1).split('.') : [], text };
  const m = REFERENCE.exec(text);
  if (!m) return undefined;
  if (m[1]) return { kind: m[1] as 'inputs' | 'env', name: m[2]!, text };
  return { kind: m[3] as 'execution' | 'workflow' | 'step', text };
}

/** The references of an item; `invalid` lists expressions that are not supported references. */
export function templateReferences(item: string): { refs: TemplateRef[]; invalid: string[] } {
  const refs: TemplateRef[] = [];
  const invalid: string[] = [];
  if (!hasTemplate(item)) return { refs, invalid };
  for (const [, escape, expr] of item.matchAll(TEMPLATE)) {
    if (escape) continue;
    const ref = parseRef(expr!);
    if (ref) refs.push(ref);
    else invalid.push(expr!.trim());
  }
  return { refs, invalid };
}

/**
 * Static checks of every exec step's templates: unsupported expressions, unknown inputs (when
 * the workflow declares inputs) and env names no workflow/step env, input or STATOR_* sets.
 */
export function checkTemplates(def: WorkflowDefinition): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const stator = new Set<string>(Object.values(STATOR_ENV));
  const inputNames = def.inputs && Object.keys(def.inputs);
  const inputEnv = inputNames && new Set(inputNames.map(inputEnvName));
  const needs = new Map(def.steps.map((s) => [s.id, s.needs]));
  def.steps.forEach((step, i) => {
    let ups: Set<string> | undefined;
    templateFields(step, `steps[${i}]`).forEach(({ path, text: item }) => {
      const { refs, invalid } = templateReferences(item);
      for (const expr of invalid) {
        const message = `unsupported expression '\${{ ${expr} }}' (use inputs.<name>, env.<NAME>, steps.<id>.outputs.<key>, item, item.<key>, item_index, execution.id, workflow.id or step.id)`;
        issues.push({ path, message });
      }
      for (const ref of refs) {
        if ((ref.kind === 'item' || ref.kind === 'itemIndex') && step.forEach === undefined) {
          const message = `'\${{ ${ref.text} }}' is only set in a forEach step`;
          issues.push({ path, message });
        }
        if (ref.kind === 'output' && !(ups ??= upstream(needs, step.id)).has(ref.stepId)) {
          const message = `steps.${ref.stepId}: '${ref.stepId}' is not a step that '${step.id}' needs (directly or through other steps), so its outputs may not exist yet`;
          issues.push({ path, message });
        }
        if (ref.kind === 'inputs' && inputNames && !inputNames.includes(ref.name)) {
          const list = inputNames.length ? inputNames.join(', ') : 'none';
          issues.push({ path, message: `unknown input '${ref.name}' (declared: ${list})` });
        }
        if (ref.kind === 'env') {
          const n = ref.name;
          const known =
            Object.hasOwn(def.env, n) ||
            Object.hasOwn(step.env, n) ||
            Object.hasOwn(def.secrets ?? {}, n) ||
            stator.has(n) ||
            n.startsWith(STEPS_ENV_PREFIX) ||
            (inputEnv ? inputEnv.has(n) : n.startsWith(INPUT_ENV_PREFIX));
          const message = `env '${n}' is not set by the workflow, the step, an input, a secret or Stator`;
          if (!known) issues.push({ path, message });
        }
      }
    });
  });
  return issues;
}

function lookup(ref: TemplateRef, ctx: TemplateContext): string {
  switch (ref.kind) {
    case 'execution':
      return ctx.executionId;
    case 'workflow':
      return ctx.workflowId;
    case 'step':
      return ctx.stepId;
    case 'inputs':
      if (!Object.hasOwn(ctx.inputs, ref.name) || ctx.inputs[ref.name] === undefined) {
        throw new NonRetryableError(`input '${ref.name}' has no value`, { reference: ref.text });
      }
      return valueToText(ctx.inputs[ref.name]);
    case 'env':
      if (!Object.hasOwn(ctx.env, ref.name)) {
        throw new NonRetryableError(`env '${ref.name}' is not set`, { reference: ref.text });
      }
      return ctx.env[ref.name]!;
    case 'item':
      return itemToText(itemValue(ref, ctx));
    case 'itemIndex':
      if (ctx.item === undefined) {
        throw new NonRetryableError('item_index is only set in a forEach step', {
          reference: ref.text,
        });
      }
      return String(ctx.item.index);
    case 'output': {
      const outputs = ctx.outputs?.[ref.stepId];
      if (outputs === undefined || !Object.hasOwn(outputs, ref.name)) {
        throw new NonRetryableError(`step '${ref.stepId}' has no output '${ref.name}'`, {
          reference: ref.text,
        });
      }
      return valueToText(outputs[ref.name]);
    }
  }
}

/** The value `${{ item.<path> }}` names; throws NonRetryableError when there is none. */
function itemValue(ref: { path: string[]; text: string }, ctx: TemplateContext): unknown {
  if (ctx.item === undefined) {
    throw new NonRetryableError('item is only set in a forEach step', { reference: ref.text });
  }
  let v: unknown = ctx.item.value;
  for (const key of ref.path) {
    const next =
      v !== null && typeof v === 'object' && Object.hasOwn(v, key)
        ? (v as Record<string, unknown>)[key]
        : undefined;
    if (next === undefined) {
      throw new NonRetryableError(`item ${ctx.item.index} has no '${ref.text.slice(5)}'`, {
        reference: ref.text,
      });
    }
    v = next;
  }
  return v;
}

/** One templated string of a step, with its path in the definition. */
export interface TemplateField {
  path: string;
  text: string;
}

/**
 * The strings of a step that are templated: exec argv items; an http step's url, header values
 * and body strings; a nats step's subject and payload strings; a workflow step's input strings.
 */
export function templateFields(step: StepDefinition, at: string): TemplateField[] {
  const out: TemplateField[] = [];
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'string') {
      if (hasTemplate(v)) out.push({ path, text: v });
    } else if (Array.isArray(v)) v.forEach((x, k) => walk(x, `${path}[${k}]`));
    else if (v !== null && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    }
  };
  switch (step.kind) {
    case 'exec':
      step.exec.forEach((item, k) => walk(item, `${at}.exec[${k}]`));
      break;
    case 'http':
      walk(step.http.url, `${at}.http.url`);
      walk(step.http.headers, `${at}.http.headers`);
      walk(step.http.body, `${at}.http.body`);
      break;
    case 'nats':
      walk(step.nats.subject, `${at}.nats.subject`);
      walk(step.nats.payload, `${at}.nats.payload`);
      break;
    case 'workflow':
      walk(step.workflow.inputs, `${at}.workflow.inputs`);
      break;
    case 'approval':
      walk(step.approval.message, `${at}.approval.message`);
      break;
    default:
      break;
  }
  return out;
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

/** Renders one item to exactly one string; throws NonRetryableError on a missing value. */
export function renderTemplate(item: string, ctx: TemplateContext): string {
  if (!hasTemplate(item)) return item;
  return item.replace(TEMPLATE, (whole, escape: string, expr: string) => {
    if (escape) return whole.slice(1);
    const ref = parseRef(expr);
    if (!ref) throw new NonRetryableError(`unsupported expression '${whole}'`, { reference: expr });
    return lookup(ref, ctx);
  });
}

/** Renders an exec argv, item by item (never splitting or joining items). */
export function renderArgv(argv: readonly string[], ctx: TemplateContext): string[] {
  return argv.map((item) => renderTemplate(item, ctx));
}

const WHOLE = /^\$\{\{([^}]*)\}\}$/;

/**
 * Renders a JSON value (an http body, a nats payload, a child's inputs): every string in it is
 * rendered as one template. A string that is one `${{ inputs.x }}` or
 * `${{ steps.a.outputs.k }}` and nothing else takes the referenced value as it is (a number, a
 * list, an object), so JSON keeps its types.
 */
export function renderJson(value: unknown, ctx: TemplateContext): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    const ref = whole ? parseRef(whole[1]!) : undefined;
    if (ref?.kind === 'inputs' && ctx.inputs[ref.name] !== undefined) return ctx.inputs[ref.name];
    if (ref?.kind === 'item' && ctx.item !== undefined) return itemValue(ref, ctx);
    if (ref?.kind === 'output') {
      const outputs = ctx.outputs?.[ref.stepId];
      if (outputs !== undefined && Object.hasOwn(outputs, ref.name)) return outputs[ref.name];
    }
    return renderTemplate(value, ctx);
  }
  if (Array.isArray(value)) return value.map((v) => renderJson(v, ctx));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderJson(v, ctx)]));
  }
  return value;
}

/** The template context of a step attempt, its env built by stepEnvironment. */
export function stepTemplateContext(input: StepEnvironmentInput): TemplateContext {
  return {
    inputs: input.inputs,
    env: stepEnvironment(input),
    executionId: input.executionId,
    workflowId: input.def.id,
    stepId: input.step.id,
    ...(input.outputs && { outputs: input.outputs }),
    ...(input.item && { item: input.item }),
  };
}

/**
 * The environment a step's process receives: built, never inherited. A base environment (a few
 * variables of the server, see `baseEnvironment` in src/exec), then the workflow's and step's
 * `env`, inputs, secrets and the STATOR_* variables. Inputs reach scripts only this way
 * (INPUT_<NAME>), never pasted into script text.
 * @module
 */
import type { StepDefinition, WorkflowDefinition } from './types.ts';

/** Names of the variables Stator sets for every step. */
export const STATOR_ENV = {
  workflowId: 'STATOR_WORKFLOW_ID',
  executionId: 'STATOR_EXECUTION_ID',
  stepId: 'STATOR_STEP_ID',
  attempt: 'STATOR_ATTEMPT',
  /** The file a step writes its outputs to (`key=value` lines or one JSON object). */
  output: 'STATOR_OUTPUT',
  /** A forEach instance's item: a string as it is, any other value as JSON. */
  item: 'STATOR_ITEM',
  /** A forEach instance's index in the list (0-based). */
  itemIndex: 'STATOR_ITEM_INDEX',
} as const;

/** Prefix of the variables that carry earlier steps' outputs: `STEPS_<ID>_<KEY>`. */
export const STEPS_ENV_PREFIX = 'STEPS_';

/** The variable of output `key` of step `stepId`, each non-alphanumeric as `_`, upper-cased. */
export function outputEnvName(stepId: string, key: string): string {
  const token = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  return `${STEPS_ENV_PREFIX}${token(stepId)}_${token(key)}`;
}

/** Prefix of the variables that carry inputs. */
export const INPUT_ENV_PREFIX = 'INPUT_';

/** The variable name of an input: `INPUT_` + upper-cased name, each non-alphanumeric as `_`. */
export function inputEnvName(name: string): string {
  return INPUT_ENV_PREFIX + name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** An input name whose variable an earlier name already takes (`x` and `X` are both INPUT_X). */
export interface InputEnvClash {
  name: string;
  /** The earlier name. */
  other: string;
  /** The variable both would set. */
  env: string;
}

/** Every input name, in order, whose INPUT_ variable an earlier name already takes. */
export function inputEnvClashes(names: Iterable<string>): InputEnvClash[] {
  const taken = new Map<string, string>();
  const clashes: InputEnvClash[] = [];
  for (const name of names) {
    const env = inputEnvName(name);
    const other = taken.get(env);
    if (other === undefined) taken.set(env, name);
    else clashes.push({ name, other, env });
  }
  return clashes;
}

/** The message of a clash, for the field of the later name. */
export function inputEnvClashMessage(clash: InputEnvClash): string {
  return `clashes with input '${clash.other}' (both are ${clash.env})`;
}

/** The text form of a value: strings as-is, null/undefined empty, objects/arrays as JSON. */
export function valueToText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/**
 * The JSON of object values already turned into text. A run's inputs and outputs never change
 * once made, and a forEach step reads them once per instance: a 10,000-item list given as an
 * input would otherwise be serialised 10,000 times.
 */
const objectText = new WeakMap<object, string>();

/** valueToText, computed once per object value. */
function cachedText(v: unknown): string {
  if (v === null || typeof v !== 'object') return valueToText(v);
  let text = objectText.get(v);
  if (text === undefined) objectText.set(v, (text = valueToText(v)));
  return text;
}

/** The text of a forEach item (or a value in it): strings as they are, anything else as JSON. */
export function itemToText(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null');
}

/** What stepEnvironment needs. */
export interface StepEnvironmentInput {
  def: WorkflowDefinition;
  step: StepDefinition;
  executionId: string;
  /** 1-based attempt number. */
  attempt: number;
  /** Resolved inputs (see resolveInputs). */
  inputs: Record<string, unknown>;
  /** What the process starts from (PATH, HOME, ...); nothing when absent. */
  base?: Readonly<Record<string, string>>;
  /** Resolved secret values by name (the workflow's `secrets`). */
  secrets?: Readonly<Record<string, string>>;
  /** Outputs of the steps that succeeded before this one, by step id. */
  outputs?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /** Where this attempt writes its outputs (`$STATOR_OUTPUT`); unset when absent. */
  outputPath?: string;
  /** The item of a forEach instance and its index (STATOR_ITEM, STATOR_ITEM_INDEX). */
  item?: { value: unknown; index: number };
}

/**
 * A step's whole environment, later entries winning: the base, workflow env, step env,
 * INPUT_<NAME> for every input, STEPS_<ID>_<KEY> for every output of an earlier step, the
 * secrets, then the STATOR_* variables.
 */
export function stepEnvironment(input: StepEnvironmentInput): Record<string, string> {
  const { def, step, executionId, attempt, inputs } = input;
  const env: Record<string, string> = { ...input.base, ...def.env, ...step.env };
  for (const [name, value] of Object.entries(inputs)) {
    if (value !== undefined) env[inputEnvName(name)] = cachedText(value);
  }
  for (const [stepId, outputs] of Object.entries(input.outputs ?? {})) {
    // A forEach step's outputs are a list: one variable, STEPS_<ID>_OUTPUTS, its JSON.
    if (Array.isArray(outputs)) {
      env[outputEnvName(stepId, 'outputs')] = cachedText(outputs);
      continue;
    }
    for (const [key, value] of Object.entries(outputs)) {
      env[outputEnvName(stepId, key)] = cachedText(value);
    }
  }
  Object.assign(env, input.secrets);
  if (input.outputPath !== undefined) env[STATOR_ENV.output] = input.outputPath;
  env[STATOR_ENV.workflowId] = def.id;
  env[STATOR_ENV.executionId] = executionId;
  env[STATOR_ENV.stepId] = step.id;
  env[STATOR_ENV.attempt] = String(attempt);
  if (input.item !== undefined) {
    env[STATOR_ENV.item] = itemToText(input.item.value);
    env[STATOR_ENV.itemIndex] = String(input.item.index);
  }
  return env;
}

/**
 * Validation of a run's input against the workflow's declared inputs: defaults filled in,
 * missing required and undeclared inputs rejected, declared types checked.
 * @module
 */
import { InvalidArgumentError, type FieldIssue } from '../errors.ts';
import { valueType } from './schema.ts';
import { inputEnvClashes, inputEnvClashMessage, valueToText } from './step-env.ts';
import type { WorkflowDefinition } from './types.ts';

/** Longest text form of one input, bytes: it must fit one environment string (Linux: 128 KiB). */
export const MAX_INPUT_BYTES = 100_000;
/** Longest text form of all inputs together, bytes (the environment shares ~2 MiB with argv). */
export const MAX_INPUTS_TOTAL_BYTES = 1_000_000;

/** True for `{}`-style objects (not arrays, null, dates or class instances). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function checkSizes(values: Record<string, unknown>, issues: FieldIssue[]): void {
  let total = 0;
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'string' && value.includes('\0')) {
      issues.push({ path: `input.${name}`, message: 'must not contain NUL characters' });
      continue;
    }
    const bytes = Buffer.byteLength(valueToText(value));
    total += bytes;
    if (bytes > MAX_INPUT_BYTES) {
      issues.push({
        path: `input.${name}`,
        message: `is ${bytes} bytes; the limit is ${MAX_INPUT_BYTES}`,
      });
    }
  }
  if (total > MAX_INPUTS_TOTAL_BYTES) {
    issues.push({
      path: 'input',
      message: `inputs total ${total} bytes; the limit is ${MAX_INPUTS_TOTAL_BYTES}`,
    });
  }
}

/**
 * Resolves the input of a run. `undefined` counts as `{}`. Without declared inputs any plain
 * object is accepted as-is, unless two of its names would set one INPUT_ variable. Throws
 * InvalidArgumentError naming `input.<name>` for each problem.
 */
export function resolveInputs(def: WorkflowDefinition, input: unknown): Record<string, unknown> {
  const given = input === undefined ? {} : input;
  if (!isPlainObject(given)) {
    throw InvalidArgumentError.format([
      { path: 'input', message: `must be an object, got ${valueType(given)}` },
    ]);
  }
  const issues: FieldIssue[] = [];
  let out: Record<string, unknown>;
  if (def.inputs === undefined) {
    out = { ...given };
    // Declared names are checked at registration; these arrive only now.
    for (const clash of inputEnvClashes(Object.keys(out))) {
      issues.push({ path: `input.${clash.name}`, message: inputEnvClashMessage(clash) });
    }
  } else {
    out = {};
    const declared = def.inputs;
    for (const [name, spec] of Object.entries(declared)) {
      const value = Object.hasOwn(given, name) ? given[name] : undefined;
      if (value === undefined) {
        if (spec.default !== undefined) out[name] = structuredClone(spec.default);
        else if (spec.required) issues.push({ path: `input.${name}`, message: 'is required' });
        continue;
      }
      if (spec.type !== undefined && valueType(value) !== spec.type) {
        const message = `must be ${spec.type}, got ${valueType(value)}`;
        issues.push({ path: `input.${name}`, message });
        continue;
      }
      out[name] = value;
    }
    const names = Object.keys(declared);
    for (const name of Object.keys(given)) {
      if (!Object.hasOwn(declared, name)) {
        const list = names.length ? names.join(', ') : 'none';
        issues.push({
          path: `input.${name}`,
          message: `is not a declared input (declared: ${list})`,
        });
      }
    }
  }
  checkSizes(out, issues);
  if (issues.length > 0) throw InvalidArgumentError.format(issues);
  return out;
}

/**
 * The one entry point from text or objects to a checked WorkflowDefinition: YAML/JSON parsing,
 * the schema, the DAG and template checks, with every problem named by its path. Text is parsed
 * within the input bounds (src/parse: depth, aliases, keys and items, string length) before
 * anything else looks at it.
 * @module
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { z } from 'zod';
import {
  InputBoundsError,
  InvalidWorkflowError,
  MalformedPayloadError,
  NotFoundError,
  toStatorError,
  type FieldIssue,
  type StatorError,
} from '../errors.ts';
import { checkJsonBounds, parseBoundedYaml } from '../parse/index.ts';
import { checkDag } from './dag.ts';
import { KNOWN_FIELDS, workflowSchema } from './schema.ts';
import { checkTemplates } from './template.ts';
import { checkConditions } from './conditions.ts';
import { checkFlowKeys } from './flow-control.ts';
import { checkForEach } from './for-each.ts';
import type { WorkflowDefinition } from './types.ts';

/** Text formats of a definition. */
export type WorkflowFormat = 'yaml' | 'json' | 'auto';

/** Options of parseWorkflow. */
export interface ParseWorkflowOptions {
  /** How to read text input; `auto` treats text starting with `{` as JSON first. @default 'auto' */
  format?: WorkflowFormat;
}

/** Issues reported in an error's details at most; the rest are counted. */
export const MAX_REPORTED_ISSUES = 200;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Formats a zod path as `steps[2].retry.attempts`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && IDENT.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const same = a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase();
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (same ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

function suggest(key: string): string {
  const best = KNOWN_FIELDS.map((f) => [f, editDistance(key, f)] as const).sort(
    (x, y) => x[1] - y[1],
  )[0];
  return best && best[1] <= Math.max(1, Math.floor(key.length / 3))
    ? ` (did you mean '${best[0]}'?)`
    : '';
}

function stepIdAt(raw: unknown, path: readonly PropertyKey[]): string | undefined {
  if (path[0] !== 'steps' || typeof path[1] !== 'number' || path.length < 3) return undefined;
  const steps = (raw as { steps?: unknown })?.steps;
  const id = Array.isArray(steps)
    ? (steps[path[1]] as { id?: unknown } | undefined)?.id
    : undefined;
  return typeof id === 'string' ? id : undefined;
}

/** A failed union whose input matched one branch's type: that branch's issues, else undefined. */
function matchedBranch(issue: z.core.$ZodIssueInvalidUnion): z.core.$ZodIssue[] | undefined {
  const typeMismatch = (i: z.core.$ZodIssue) => i.code === 'invalid_type' && i.path.length === 0;
  const candidates = issue.errors.filter((branch) => !branch.every(typeMismatch));
  if (candidates.length !== 1) return undefined;
  return candidates[0]!.map((i) => ({ ...i, path: [...issue.path, ...i.path] }));
}

/** Turns zod issues into field issues: one per unknown key (with a hint), step ids named. */
export function zodFieldIssues(issues: readonly z.core.$ZodIssue[], raw: unknown): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of issues) {
    const branch = issue.code === 'invalid_union' ? matchedBranch(issue) : undefined;
    if (branch) {
      out.push(...zodFieldIssues(branch, raw));
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        out.push({
          path: formatIssuePath([...issue.path, key]),
          message: `unknown field${suggest(key)}`,
        });
      }
      continue;
    }
    const stepId = stepIdAt(raw, issue.path);
    const suffix = stepId === undefined ? '' : ` (step '${stepId}')`;
    out.push({ path: formatIssuePath(issue.path), message: issue.message + suffix });
  }
  return out;
}

function invalid(issues: FieldIssue[]): InvalidWorkflowError {
  if (issues.length <= MAX_REPORTED_ISSUES) return InvalidWorkflowError.format(issues);
  const kept = issues.slice(0, MAX_REPORTED_ISSUES);
  kept.push({ path: '', message: `${issues.length - MAX_REPORTED_ISSUES} more issues not shown` });
  const err = InvalidWorkflowError.format(issues);
  return new InvalidWorkflowError(err.message, { issues: kept, total: issues.length });
}

function lineCol(text: string, pos: number): string {
  const before = text.slice(0, pos).split('\n');
  return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
}

function parseJson(text: string): unknown {
  checkJsonBounds(text);
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /at position (\d+)/.exec(msg);
    const where = pos && !/line \d+/.test(msg) ? ` (${lineCol(text, Number(pos[1]))})` : '';
    throw new MalformedPayloadError(`invalid JSON: ${msg}${where}`, err);
  }
}

/**
 * Parses definition text into a plain value; throws MalformedPayloadError with line info
 * (`malformed_yaml`, or `malformed_json` for text given or detected as JSON), or
 * InputBoundsError (`input_bounds`) for text past the input bounds.
 */
export function parseWorkflowText(text: string, format: WorkflowFormat = 'auto'): unknown {
  if (format === 'json') return parseJson(text);
  if (format === 'yaml') return parseBoundedYaml(text);
  if (!text.trimStart().startsWith('{')) return parseBoundedYaml(text);
  let jsonBounds: InputBoundsError | undefined;
  try {
    checkJsonBounds(text);
    return JSON.parse(text);
  } catch (err) {
    // The JSON pre-scan does not know YAML quoting: YAML, which checks its own bounds, decides.
    if (err instanceof InputBoundsError) jsonBounds = err;
  }
  try {
    return parseBoundedYaml(text); // flow-style YAML such as `{ id: x, steps: [...] }`
  } catch (err) {
    if (err instanceof InputBoundsError) throw err;
    if (jsonBounds) throw jsonBounds;
    return parseJson(text); // neither: report the JSON error
  }
}

/** Checks a parsed value against the schema, the DAG rules and the templates. */
export function validateWorkflow(raw: unknown): WorkflowDefinition {
  if (raw === null || raw === undefined) {
    throw invalid([{ path: '', message: 'the workflow definition is empty' }]);
  }
  const parsed = workflowSchema.safeParse(raw);
  if (!parsed.success) throw invalid(zodFieldIssues(parsed.error.issues, raw));
  const issues = [
    ...checkDag(parsed.data.steps),
    ...checkTemplates(parsed.data),
    ...checkConditions(parsed.data),
    ...checkFlowKeys(parsed.data),
    ...checkForEach(parsed.data),
  ];
  if (issues.length > 0) throw invalid(issues);
  return parsed.data;
}

/**
 * Parses and checks a workflow definition given as YAML/JSON text (string or bytes) or as an
 * object. Throws MalformedPayloadError (bad text) or InvalidWorkflowError (bad definition).
 */
export function parseWorkflow(input: unknown, opts: ParseWorkflowOptions = {}): WorkflowDefinition {
  if (input instanceof Uint8Array) input = new TextDecoder().decode(input);
  const raw = typeof input === 'string' ? parseWorkflowText(input, opts.format ?? 'auto') : input;
  return validateWorkflow(raw);
}

/** The extensions loadWorkflowDir reads. */
export const WORKFLOW_EXTENSIONS = ['.yaml', '.yml', '.json'] as const;

function withFile(err: unknown, file: string): StatorError {
  const e = toStatorError(err);
  if (e instanceof InvalidWorkflowError) {
    return new InvalidWorkflowError(`${file}: ${e.message}`, { file, ...(e.details as object) });
  }
  if (e instanceof MalformedPayloadError)
    return new MalformedPayloadError(`${file}: ${e.message}`, e.cause, e.format);
  return e;
}

/** Reads and checks one definition file; the format follows the extension (.json or YAML). */
export async function loadWorkflowFile(path: string): Promise<WorkflowDefinition> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError('file', path);
    throw err;
  }
  try {
    return parseWorkflow(text, {
      format: extname(path).toLowerCase() === '.json' ? 'json' : 'yaml',
    });
  } catch (err) {
    throw withFile(err, path);
  }
}

/** The outcome of loading one file of a directory. */
export type LoadedWorkflowFile =
  | { file: string; ok: true; definition: WorkflowDefinition }
  | { file: string; ok: false; error: StatorError };

/**
 * Loads every *.yaml, *.yml and *.json file of a directory (not recursive), sorted by name.
 * Never throws for a bad file: each result carries its definition or its error. A workflow id
 * already defined by an earlier file is an error of the later file.
 */
export async function loadWorkflowDir(dir: string): Promise<LoadedWorkflowFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = entries
    .filter(
      (e) =>
        e.isFile() &&
        (WORKFLOW_EXTENSIONS as readonly string[]).includes(extname(e.name).toLowerCase()),
    )
    .map((e) => join(dir, e.name))
    .sort();
  const results: LoadedWorkflowFile[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    try {
      const definition = await loadWorkflowFile(file);
      const other = seen.get(definition.id);
      if (other !== undefined) {
        const message = `workflow id '${definition.id}' is already defined in ${other}`;
        throw withFile(InvalidWorkflowError.format([{ path: 'id', message }]), file);
      }
      seen.set(definition.id, file);
      results.push({ file, ok: true, definition });
    } catch (err) {
      results.push({ file, ok: false, error: toStatorError(err) });
    }
  }
  return results;
}

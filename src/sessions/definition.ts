/**
 * The session definition as written (JSON or YAML), checked once by zod and resolved into the
 * stored SessionDefinition: durations in ms, defaults filled in. Unknown fields are refused.
 * Durations may be given by their written names (`backoff: "1s"`, `attention.idle: "5s"`) or by
 * the resolved ones (`backoffMs: 1000`, `attention.idleMs: 5000`), so a stored definition parses
 * back to itself. The attention prompt is compiled here, so a bad expression never gets stored.
 * `secrets` takes the workflow's schema and name rules (sources only: values are read at launch).
 * @module
 */
import { z } from 'zod';
import { InvalidArgumentError, type FieldIssue } from '../errors.ts';
import {
  durationSchema,
  formatIssuePath,
  positiveDurationSchema,
  secretNameIssues,
  secretsSchema,
  zodFieldIssues,
} from '../workflow/index.ts';
import type { SessionDefinition } from './types.ts';

/** Default of `SessionDefinition.restart`. */
export const DEFAULT_RESTART_POLICY = 'on_failure';
/** Default of `SessionDefinition.maxRestarts`. */
export const DEFAULT_MAX_RESTARTS = 5;
/** Default of `SessionDefinition.restartWindowMs`. */
export const DEFAULT_RESTART_WINDOW_MS = 60_000;
/** Default of `SessionDefinition.backoffMs`. */
export const DEFAULT_BACKOFF_MS = 500;
/** Default of `SessionDefinition.backoffMaxMs`. */
export const DEFAULT_BACKOFF_MAX_MS = 30_000;
/** Tags of a session: 1-64 letters, digits and `_ - . : /`. */
export const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,63}$/;
/** Most tags per session. */
export const MAX_TAGS = 32;
/** Most preferences per session. */
export const MAX_PREFERENCES = 64;
/** Longest a session's preferences may be as JSON text. */
export const MAX_PREFERENCES_BYTES = 64 * 1024;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const noNul = (s: string) => !s.includes('\0');
const text = (max: number) => z.string().max(max).refine(noNul, 'must not contain NUL');

/** A session's name: 1-128 characters, no control characters. */
export const sessionNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(128)
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters');

/** A session's tags (distinct, at most MAX_TAGS). */
export const sessionTagsSchema = z
  .array(z.string().regex(TAG_PATTERN, "tags are 1-64 letters, digits, '_', '-', '.', ':' or '/'"))
  .max(MAX_TAGS)
  .transform((tags) => [...new Set(tags)]);

/** Free-form preferences: a JSON object of bounded size. */
export const sessionPreferencesSchema = z
  .record(z.string().min(1).max(128), z.unknown())
  .refine((p) => Object.keys(p).length <= MAX_PREFERENCES, `at most ${MAX_PREFERENCES} keys`)
  .refine(
    (p) => JSON.stringify(p).length <= MAX_PREFERENCES_BYTES,
    `at most ${MAX_PREFERENCES_BYTES} bytes as JSON`,
  );

const envSchema = z
  .record(
    z.string().regex(ENV_NAME, 'environment variable names are letters, digits and _'),
    z.union([text(131_072), z.number(), z.boolean()], {
      error: 'environment values must be strings, numbers or booleans',
    }),
  )
  .transform((env) => Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])));

const attentionSchema = z.strictObject({
  prompt: z.string().min(1).max(1000).optional(),
  idle: positiveDurationSchema.optional(),
  idleMs: positiveDurationSchema.optional(),
});

const inputSchema = z.strictObject({
  name: sessionNameSchema,
  command: z.array(text(131_072)).min(1).max(4096).optional(),
  run: text(131_072).min(1).optional(),
  cwd: text(4096).min(1).optional(),
  env: envSchema.default({}),
  secrets: secretsSchema.optional(),
  tags: sessionTagsSchema.default([]),
  restart: z.enum(['never', 'on_failure', 'always']).default(DEFAULT_RESTART_POLICY),
  maxRestarts: z.number().int().min(0).max(1000).default(DEFAULT_MAX_RESTARTS),
  restartWindow: positiveDurationSchema.optional(),
  restartWindowMs: positiveDurationSchema.optional(),
  backoff: durationSchema.optional(),
  backoffMs: durationSchema.optional(),
  backoffMax: durationSchema.optional(),
  backoffMaxMs: durationSchema.optional(),
  autostart: z.boolean().default(false),
  attention: attentionSchema.optional(),
  preferences: sessionPreferencesSchema.default({}),
});

type Input = z.output<typeof inputSchema>;

/** The JSON Schema of a session definition as a client sends it (the OpenAPI document's). */
export function sessionJsonSchema(): Record<string, unknown> {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(inputSchema, {
    io: 'input',
    unrepresentable: 'any',
  });
  return { title: 'Stator session', ...schema };
}

/** Parses and resolves a definition; throws InvalidArgumentError naming every bad field. */
export function parseSessionDefinition(input: unknown): SessionDefinition {
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) throw InvalidArgumentError.format(zodIssues(parsed.error, input));
  const d = parsed.data;
  const issues: FieldIssue[] = [];
  const pick = (written: keyof Input, resolved: keyof Input, fallback: number): number => {
    const a = d[written] as number | undefined;
    const b = d[resolved] as number | undefined;
    if (a !== undefined && b !== undefined) {
      issues.push({ path: written, message: `give either ${written} or ${resolved}, not both` });
    }
    return a ?? b ?? fallback;
  };
  if ((d.command === undefined) === (d.run === undefined)) {
    issues.push({ path: 'command', message: 'exactly one of command (argv) or run (script)' });
  }
  if (d.command?.[0] === '') issues.push({ path: 'command.0', message: 'must not be empty' });
  const restartWindowMs = pick('restartWindow', 'restartWindowMs', DEFAULT_RESTART_WINDOW_MS);
  const backoffMs = pick('backoff', 'backoffMs', DEFAULT_BACKOFF_MS);
  const backoffMaxMs = pick(
    'backoffMax',
    'backoffMaxMs',
    Math.max(DEFAULT_BACKOFF_MAX_MS, backoffMs),
  );
  if (backoffMaxMs < backoffMs) {
    issues.push({ path: 'backoffMax', message: 'must not be shorter than backoff' });
  }
  issues.push(...secretIssues(d));
  const attention = resolveAttention(d.attention, issues);
  if (issues.length > 0) throw InvalidArgumentError.format(issues);
  const def: SessionDefinition = {
    name: d.name,
    env: d.env,
    tags: d.tags,
    restart: d.restart,
    maxRestarts: d.maxRestarts,
    restartWindowMs,
    backoffMs,
    backoffMaxMs,
    autostart: d.autostart,
    preferences: d.preferences,
  };
  if (d.command !== undefined) def.command = d.command;
  if (d.run !== undefined) def.run = d.run;
  if (d.cwd !== undefined) def.cwd = d.cwd;
  if (d.secrets !== undefined) def.secrets = d.secrets;
  if (attention !== undefined) def.attention = attention;
  return def;
}

/** The workflow's rules on secret names (pattern, prefixes, count), and no clash with `env`. */
function secretIssues(d: Input): FieldIssue[] {
  const issues: FieldIssue[] = secretNameIssues({ secrets: d.secrets, steps: [] }).map((i) => ({
    path: formatIssuePath(i.path),
    message: i.message,
  }));
  for (const name of Object.keys(d.secrets ?? {})) {
    const path = formatIssuePath(['secrets', name]);
    if (Object.hasOwn(d.env, name) && !issues.some((i) => i.path === path)) {
      issues.push({ path, message: "also set by the session's env" });
    }
  }
  return issues;
}

function resolveAttention(
  a: Input['attention'],
  issues: FieldIssue[],
): SessionDefinition['attention'] {
  if (a === undefined) return undefined;
  if (a.idle !== undefined && a.idleMs !== undefined) {
    issues.push({ path: 'attention.idle', message: 'give either idle or idleMs, not both' });
  }
  const idleMs = a.idle ?? a.idleMs;
  if (a.prompt === undefined && idleMs === undefined) {
    issues.push({ path: 'attention', message: 'give a prompt (regular expression) or idle' });
  }
  if (a.prompt !== undefined) {
    try {
      new RegExp(a.prompt);
    } catch (err) {
      issues.push({ path: 'attention.prompt', message: (err as Error).message });
    }
  }
  return {
    ...(a.prompt !== undefined && { prompt: a.prompt }),
    ...(idleMs !== undefined && { idleMs }),
  };
}

const patchSchema = z
  .strictObject({
    name: sessionNameSchema.optional(),
    tags: sessionTagsSchema.optional(),
    preferences: sessionPreferencesSchema.optional(),
  })
  .refine((p) => Object.keys(p).length > 0, 'give at least one of name, tags, preferences');

/** What `update` may change. */
export type SessionPatch = z.output<typeof patchSchema>;

/** Parses an update; throws InvalidArgumentError naming every bad field. */
export function parseSessionPatch(input: unknown): SessionPatch {
  const parsed = patchSchema.safeParse(input);
  if (!parsed.success) throw InvalidArgumentError.format(zodIssues(parsed.error));
  return parsed.data;
}

/** Issues by field; those of `secrets` worded and located as for a workflow (union branches). */
function zodIssues(error: z.ZodError, raw?: unknown): FieldIssue[] {
  return error.issues.flatMap((i) =>
    i.path[0] === 'secrets'
      ? zodFieldIssues([i], raw)
      : [{ path: i.path.join('.'), message: i.message }],
  );
}

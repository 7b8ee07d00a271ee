/**
 * Trigger declarations of a workflow (`triggers:`) and the workflow-level fields that govern
 * them (`overlap`, `maxQueued`, `catchUp`). Each trigger has exactly one kind:
 * - `nats: {subject, queue?}`: a run per message on a subject; `nats: {subject, stream}`: a run
 *   per message of a JetStream stream on that subject, through a durable consumer;
 * - `cron: {schedule, timezone?}`: a run per tick of a 5- or 6-field cron expression (croner);
 * - `http: {path, secret?}`: a run per `POST /hooks/<path>`; `secret` is either a literal or a
 *   reference `${{ env.NAME }}` read from the service's environment when a request arrives.
 * A bad schedule, timezone, path or secret reference is an issue naming its path.
 * @module
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { isValidPattern } from '../bus/index.ts';

/** A NATS trigger: every message on `subject` starts a run with the message's JSON as input. */
export interface NatsTriggerDefinition {
  kind: 'nats';
  subject: string;
  /** Queue group; one process of the group takes each message. @default `stator-trigger-<workflowId>` */
  queue?: string;
  /**
   * JetStream stream holding the subject's messages: consumed through a durable consumer (one per
   * deployment and trigger), each message acknowledged once its run is recorded, so messages sent
   * while no process runs start their runs later. Exclusive with `queue`.
   */
  stream?: string;
}

/** A cron trigger: a run at every tick of `schedule` (5 fields, or 6 with seconds first). */
export interface CronTriggerDefinition {
  kind: 'cron';
  schedule: string;
  /** IANA timezone the schedule is read in. @default the service's local timezone */
  timezone?: string;
}

/** An HTTP webhook trigger: `POST /hooks/<path>` starts a run with the JSON body as input. */
export interface HttpTriggerDefinition {
  kind: 'http';
  /** Normalised: no leading or trailing slash. */
  path: string;
  /** A literal secret or `${{ env.NAME }}`; resolve it with `resolveHookSecret()`. */
  secret?: string;
}

/** A resolved trigger. */
export type TriggerDefinition =
  NatsTriggerDefinition | CronTriggerDefinition | HttpTriggerDefinition;
/** What fires a trigger: a cron schedule, an HTTP call or a NATS message. */
export type TriggerKind = TriggerDefinition['kind'];
/** The trigger kinds, in the order messages name them. */
export const TRIGGER_KINDS = ['cron', 'http', 'nats'] as const satisfies readonly TriggerKind[];

/** What a fire does while a run of the workflow is pending or running. */
export const OVERLAP_POLICIES = ['skip', 'queue', 'allow', 'cancel_previous'] as const;
/** What a workflow's `overlap` names. */
export type OverlapPolicy = (typeof OVERLAP_POLICIES)[number];
/** What a cron trigger does with the ticks it missed while the service was down. */
export const CATCH_UP_POLICIES = ['none', 'last', 'all'] as const;
/** What a workflow's `catchUp` names (cron triggers only). */
export type CatchUpPolicy = (typeof CATCH_UP_POLICIES)[number];
/** Default of `WorkflowDefinition.overlap`, except for webhook and NATS fires (`allow`). */
export const DEFAULT_OVERLAP: OverlapPolicy = 'skip';
/** Default of `WorkflowDefinition.maxQueued`: fires waiting under `overlap: queue`. */
export const DEFAULT_MAX_QUEUED = 1;
/** Upper bound of `maxQueued`. */
export const MAX_MAX_QUEUED = 1000;
/** Default of `WorkflowDefinition.catchUp`: missed ticks are not fired. */
export const DEFAULT_CATCH_UP: CatchUpPolicy = 'none';
/** Missed ticks `catchUp: all` replays at most (the most recent ones). */
export const MAX_CATCH_UP_FIRES = 100;

const ENV_REF = /^\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}$/;
const HOOK_PATH = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*$/;

/** Why `timezone` is not a usable IANA timezone, or undefined when it is. */
export function timezoneProblem(timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return undefined;
  } catch {
    return `'${timezone}' is not an IANA timezone such as 'Europe/Paris' or 'UTC'`;
  }
}

/** Why `schedule` is not a usable 5- or 6-field cron expression, or undefined when it is. */
export function cronScheduleProblem(schedule: string, timezone?: string): string | undefined {
  const fields = schedule.trim().split(/\s+/).length;
  if (!schedule.trim().startsWith('@') && fields !== 5 && fields !== 6) {
    return `must have 5 fields, or 6 with seconds first (got ${fields})`;
  }
  let job: Cron;
  try {
    job = new Cron(schedule, { mode: '5-or-6-parts', timezone, paused: true });
  } catch (err) {
    return (err as Error).message.replace(/^CronPattern: /, '');
  }
  try {
    return job.nextRun() === null ? `'${schedule}' never fires` : undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    job.stop();
  }
}

/** The variable a `${{ env.NAME }}` secret names, or undefined for a literal secret. */
export function hookSecretEnv(secret: string): string | undefined {
  return ENV_REF.exec(secret)?.[1];
}

/**
 * The key of an http trigger's secret: the literal, or the value of the variable it references
 * (undefined when that variable is unset or empty: the hook must then refuse every request).
 */
export function resolveHookSecret(
  secret: string,
  env: Record<string, string | undefined> = process.env,
): string | undefined {
  const name = hookSecretEnv(secret);
  if (name === undefined) return secret;
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

const natsSpec = z
  .strictObject({
    subject: z
      .string()
      .min(1)
      .refine((s) => isValidPattern(s), 'not a valid NATS subject')
      .refine((s) => !s.startsWith('stator.'), "subjects under 'stator.' are reserved")
      .describe('Subject (wildcards allowed) whose messages start runs.'),
    queue: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .optional()
      .describe('Queue group: each message starts one run across all processes.'),
    stream: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/, 'a JetStream stream name (letters, digits, _ and -)')
      .optional()
      .describe('JetStream stream to consume the subject from (durable consumer, at least once).'),
  })
  .refine((n) => n.queue === undefined || n.stream === undefined, {
    message:
      'a stream trigger is consumed through a durable consumer: give queue or stream, not both',
    path: ['stream'],
  });

const cronSpec = z
  .strictObject({
    schedule: z
      .string()
      .trim()
      .min(1, 'a cron schedule is required')
      .max(256)
      .describe("5 fields, or 6 with seconds first, e.g. '*/5 * * * * *'; @daily etc. allowed."),
    timezone: z.string().min(1).max(64).optional().describe("IANA timezone, e.g. 'Europe/Paris'."),
  })
  .superRefine((c, ctx) => {
    const tz = c.timezone === undefined ? undefined : timezoneProblem(c.timezone);
    if (tz !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: tz });
      return;
    }
    const problem = cronScheduleProblem(c.schedule, c.timezone);
    if (problem !== undefined)
      ctx.addIssue({ code: 'custom', path: ['schedule'], message: problem });
  });

const httpSpec = z.strictObject({
  path: z
    .string()
    .max(512)
    .transform((p) => p.replace(/^\/+|\/+$/g, ''))
    .refine(
      (p) => HOOK_PATH.test(p),
      "must be a path such as 'deploy' or 'github/push' (letters, digits, '.', '_', '~', '-')",
    )
    .describe('Served as POST /hooks/<path>.'),
  secret: z
    .string()
    .min(1)
    .max(1024)
    .refine(
      (s) => !s.trimStart().startsWith('${{') || ENV_REF.test(s),
      'an environment reference is written ${{ env.NAME }}',
    )
    .optional()
    .describe('HMAC-SHA256 key of X-Stator-Signature: a literal or ${{ env.NAME }}.'),
});

/** Raw (authored) schema of one trigger, transformed into a TriggerDefinition. */
export const triggerSchema = z
  .strictObject({
    nats: natsSpec
      .optional()
      .describe('A run per message on a NATS subject (or a JetStream stream).'),
    cron: cronSpec.optional().describe('A run per tick of a cron schedule.'),
    http: httpSpec.optional().describe('A run per call of a webhook (POST /hooks/<path>).'),
  })
  .superRefine((t, ctx) => {
    const kinds = TRIGGER_KINDS.filter((k) => t[k] !== undefined);
    if (kinds.length !== 1) {
      const got = kinds.length ? ` (got ${kinds.join(', ')})` : '';
      ctx.addIssue({
        code: 'custom',
        message: `a trigger must have exactly one of ${TRIGGER_KINDS.join(', ')}${got}`,
      });
    }
  })
  .transform((t): TriggerDefinition => {
    if (t.cron) {
      const { schedule, timezone } = t.cron;
      return { kind: 'cron', schedule, ...(timezone !== undefined && { timezone }) };
    }
    if (t.http) {
      const { path, secret } = t.http;
      return { kind: 'http', path, ...(secret !== undefined && { secret }) };
    }
    const { subject, queue, stream } = t.nats!;
    return {
      kind: 'nats',
      subject,
      ...(queue !== undefined && { queue }),
      ...(stream !== undefined && { stream }),
    };
  });

/** The `triggers:` list: at most 64, and no hook path twice. */
export const triggerListSchema = z
  .array(triggerSchema)
  .max(64)
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((t, i) => {
      if (t.kind !== 'http') return;
      const first = seen.get(t.path);
      if (first === undefined) seen.set(t.path, i);
      else {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'http', 'path'],
          message: `path '${t.path}' is already used by triggers[${first}]`,
        });
      }
    });
  })
  .describe('What starts runs on its own.');

/** `overlap:` of a workflow. */
export const overlapSchema = z
  .enum(OVERLAP_POLICIES)
  .describe('A fire while a run is going: skip (default), queue, allow or cancel_previous.');
/** `maxQueued:` of a workflow (with `overlap: queue`). */
export const maxQueuedSchema = z
  .number()
  .int()
  .min(1)
  .max(MAX_MAX_QUEUED)
  .describe('Fires waiting under overlap: queue. Default 1.');
/** `catchUp:` of a workflow. */
export const catchUpSchema = z
  .enum(CATCH_UP_POLICIES)
  .describe(
    `Missed cron ticks after downtime: none (default), last, or all (at most ${MAX_CATCH_UP_FIRES}).`,
  );

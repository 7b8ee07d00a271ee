/**
 * Trigger declarations of a workflow (`triggers:`). Each entry has exactly one kind; this
 * issue defines `nats` (a run per message on a subject); cron and http webhooks come with the
 * trigger actors.
 * @module
 */
import { z } from 'zod';
import { isValidPattern } from '../bus/subjects.ts';

/** A NATS trigger: every message on `subject` starts a run with the message's JSON as input. */
export interface NatsTriggerDefinition {
  kind: 'nats';
  subject: string;
  /** Queue group; one process of the group takes each message. @default `stator-trigger-<workflowId>` */
  queue?: string;
}

/** A resolved trigger. */
export type TriggerDefinition = NatsTriggerDefinition;

const natsTrigger = z.strictObject({
  nats: z.strictObject({
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
  }),
});

/** Raw (authored) trigger schema, transformed into TriggerDefinition. */
export const triggerSchema = natsTrigger.transform((t): TriggerDefinition => ({
  kind: 'nats',
  subject: t.nats.subject,
  ...(t.nats.queue !== undefined && { queue: t.nats.queue }),
}));

/**
 * Approval commands: approve or reject a waiting approval step, list what waits for a person,
 * and `next-actionable`: the oldest thing waiting for a person, a session awaiting input or an
 * approval.
 * @module
 */
import { z } from 'zod';
import { defineCommand } from './types.ts';
import { idSchema, limitSchema } from './schemas.ts';
import { NotFoundError, StatorError } from '../errors.ts';
import { approverNameSchema } from '../workflow/index.ts';
// eslint-disable-next-line no-restricted-imports -- cycle: runtime/index.ts imports this module
import type { Stator } from '../runtime/types.ts';

/** Approvals `approval.list` answers when it is given no limit. */
const DEFAULT_LIST_LIMIT = 100;

/** Longest comment of a decision, characters. */
export const MAX_COMMENT_LENGTH = 4096;

const decisionInput = z.object({
  id: idSchema,
  stepId: z.string().trim().min(1).max(256).optional(),
  by: approverNameSchema
    .refine((by) => by !== 'timeout', "'timeout' is reserved for decisions made by the deadline")
    .optional(),
  comment: z.string().max(MAX_COMMENT_LENGTH).optional(),
});

const decide = (approved: boolean) => (stator: Stator, input: z.output<typeof decisionInput>) =>
  stator.approvals.decide(input.id, {
    approved,
    ...(input.stepId !== undefined && { stepId: input.stepId }),
    ...(input.by !== undefined && { by: input.by }),
    ...(input.comment !== undefined && { comment: input.comment }),
  });

/** `execution.approve`: approves the waiting approval step (stored before the answer). */
export const executionApprove = defineCommand({
  name: 'execution.approve',
  description:
    'Approves a waiting approval step (stepId when several wait; by must be an approver when the step names them); conflict when it is not waiting or already decided',
  input: decisionInput,
  handler: decide(true),
  rateLimit: {},
});

/** `execution.reject`: rejects the waiting approval step; the step fails. */
export const executionReject = defineCommand({
  name: 'execution.reject',
  description:
    'Rejects a waiting approval step (the step fails, and the run per its needs rules); conflict when it is not waiting or already decided',
  input: decisionInput,
  handler: decide(false),
  rateLimit: {},
});

/** `approval.list`: approvals waiting for a person, oldest first. */
export const approvalList = defineCommand({
  name: 'approval.list',
  description:
    'Lists approval steps waiting for a decision, oldest first (at most limit, default 100)',
  input: z.object({ limit: limitSchema }),
  handler: async (stator, { limit }) => ({
    items: (await stator.approvals.list()).slice(0, limit ?? DEFAULT_LIST_LIMIT),
  }),
});

/** `next-actionable`: the oldest session awaiting input or approval waiting for a person. */
export const nextActionable = defineCommand({
  name: 'next-actionable',
  description:
    'The oldest thing waiting for a person: a session awaiting input or an approval step; not_found when nothing waits',
  input: z.object({}),
  handler: async (stator) => {
    const [session, approvals] = await Promise.all([
      stator.sessions.nextActionable().catch((err: unknown) => {
        if (err instanceof StatorError && err.code === 'not_found') return undefined;
        throw err;
      }),
      stator.approvals.list(),
    ]);
    const approval = approvals[0];
    if (session?.awaitingSince && (!approval || session.awaitingSince <= approval.since)) {
      return { kind: 'session' as const, since: session.awaitingSince, session };
    }
    if (approval) return { kind: 'approval' as const, since: approval.since, approval };
    const none = new NotFoundError('actionable', 'next');
    none.message = 'no session is awaiting input and no approval is waiting';
    throw none;
  },
});

/** The approval commands by name. */
export const APPROVAL_COMMANDS = {
  'execution.approve': executionApprove,
  'execution.reject': executionReject,
  'approval.list': approvalList,
  'next-actionable': nextActionable,
} as const;

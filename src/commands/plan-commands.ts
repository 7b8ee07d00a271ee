/**
 * `plan.create`: what a run of a workflow would do, before it runs (src/plans).
 * @module
 */
import { z } from 'zod';
import { defineCommand } from './types.ts';
import { idSchema } from './schemas.ts';
import { createPlan } from '../plans/index.ts';

/** Longest definition text a plan request takes (objects are bounded by the body limits). */
export const MAX_PLAN_TEXT = 4_000_000;

/**
 * `plan.create`: `{workflowId}` (registered, with its history) or `{workflow}` (a document:
 * an object or YAML/JSON text), and an optional `input`. Answers the plan: `valid`, every error,
 * levels, critical path, estimates and safety findings. An invalid definition or input is not an
 * error of the command: the plan says `valid: false` and lists them.
 */
export const planCreate = defineCommand({
  name: 'plan.create',
  description:
    'Plans a run without starting it: every error, parallel levels, critical path, duration estimates from history and safety findings',
  input: z
    .strictObject({
      workflowId: idSchema.optional(),
      workflow: z
        .union([z.string().min(1).max(MAX_PLAN_TEXT), z.record(z.string(), z.unknown())])
        .optional(),
      input: z.record(z.string(), z.unknown()).optional(),
    })
    .refine((b) => (b.workflowId === undefined) !== (b.workflow === undefined), {
      message: 'give exactly one of workflowId and workflow',
    }),
  handler: (stator, req) => createPlan(stator, req),
});

/**
 * The `policy` of a workflow (and the server's global policy, same shape): what a plan's
 * findings and estimates may do to a run at execute time (src/plans/evaluate-policy.ts).
 * @module
 */
import { z } from 'zod';
import { positiveDurationSchema } from './duration.ts';

/** A rule id (`destructive-rm-root`), a prefix of rule ids (`destructive-*`) or a severity. */
const findingPattern = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,63}\*?$/, 'a rule id, a rule id prefix ending in *, or a severity');

/** The policy schema (durations in ms on output). */
export const policySchema = z
  .strictObject({
    deny: z
      .array(findingPattern)
      .max(100)
      .optional()
      .describe('Findings (rule ids, `prefix-*` or severities) that block a run: status blocked.'),
    requireApproval: z
      .union([z.boolean(), z.array(findingPattern).max(100)])
      .optional()
      .describe(
        'true: every run waits for an approval first; a list: runs with a matching finding do.',
      ),
    maxDuration: positiveDurationSchema
      .optional()
      .describe("Block runs whose plan's critical path is estimated longer than this."),
    maxParallel: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('Block runs whose widest parallel level has more steps than this.'),
  })
  .describe(
    'What a plan of the run may do at execute time: block it or make it wait for approval.',
  );

/** A resolved policy. */
export type Policy = z.output<typeof policySchema>;

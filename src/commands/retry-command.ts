/**
 * `execution.retry`: re-run a finished run from its failure (or from a chosen step).
 * @module
 */
import { z } from 'zod';
import { defineCommand } from './types.ts';
import { idSchema, idempotencyKeySchema } from './schemas.ts';

/**
 * `execution.retry`: a new run linked to the old one (`retryOf`) that keeps the succeeded steps
 * (`reused: true`) and runs the failed, cancelled, skipped and downstream ones; `from` runs again
 * from that step. 409 `conflict` for a run that is not finished or completed (without `from`),
 * 422 for an unknown `from`. With `idempotencyKey`, a repeat answers the first retry's id and
 * `replayed: true`.
 */
export const executionRetry = defineCommand({
  name: 'execution.retry',
  description:
    "Re-runs a failed, cancelled or timed-out run from its failure (or any finished run from step 'from') as a new run linked by retryOf; succeeded steps are kept, not run again",
  input: z.object({
    id: idSchema,
    from: idSchema.optional(),
    definition: z.enum(['stored', 'latest']).optional(),
    idempotencyKey: idempotencyKeySchema.optional(),
  }),
  handler: (stator, { id, from, definition, idempotencyKey }) =>
    stator.retry(id, {
      ...(from !== undefined && { from }),
      ...(definition !== undefined && { definition }),
      ...(idempotencyKey !== undefined && { idempotencyKey }),
    }),
});

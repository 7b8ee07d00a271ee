/**
 * Monitor commands: run statistics per workflow over a window (computed by src/statistics/), and
 * the Prometheus metrics text (src/metrics/). Both reach the service through `Stator`.
 * @module
 */
import { z } from 'zod';
import { defineCommand } from './types.ts';
import { optionalString } from './schemas.ts';
import { durationSchema } from '../workflow/index.ts';

/** Longest statistics window, ms (7 days). */
export const MAX_STATISTICS_WINDOW_MS = 7 * 86_400_000;

/** A window such as `15m`, `1h` or `1d` (or milliseconds); empty means the default (1 h). */
const windowSchema = z.preprocess(
  (v) => (v === '' || v === null ? undefined : v),
  durationSchema
    .refine((ms) => ms >= 1000, 'must be at least 1s')
    .refine((ms) => ms <= MAX_STATISTICS_WINDOW_MS, 'must be at most 7d')
    .optional(),
);

/** `statistics`: runs, success rate, mean/p95 duration and throughput per workflow. */
export const statistics = defineCommand({
  name: 'statistics',
  description:
    'Per-workflow runs, success rate, mean and p95 duration and throughput over a window (default 1h)',
  input: z.object({ window: windowSchema, workflowId: optionalString }),
  handler: (stator, { window, workflowId }) =>
    stator.statistics({
      ...(window !== undefined && { windowMs: window }),
      ...(workflowId !== undefined && { workflowId }),
    }),
});

/** `metrics`: this process's metrics in Prometheus text format. */
export const metrics = defineCommand({
  name: 'metrics',
  description: "This process's metrics in Prometheus text format (version 0.0.4)",
  // Strict: it takes no fields, so a payload with some is a mistake worth reporting.
  input: z.strictObject({}),
  handler: (stator) => stator.metrics(),
});

/**
 * Pause commands: `execution.pause` holds every new step start of a run (running steps finish)
 * until `execution.resume`. Both are stored before the answer and idempotent; a finished run
 * answers `conflict`.
 * @module
 */
import { z } from 'zod';
import { defineCommand } from './types.ts';
import { idSchema } from './schemas.ts';
import { toExecutionDetail } from './views.ts';
import { approverNameSchema } from '../workflow/index.ts';

const pauseInput = z.object({
  id: idSchema,
  /** Who asks (kept in the record's `paused.by`). @default "anonymous" */
  by: approverNameSchema.optional(),
});

/** `execution.pause`: no new step of the run starts until it is resumed. */
export const executionPause = defineCommand({
  name: 'execution.pause',
  description:
    'Pauses a run: no new step starts (running steps finish), stored before the answer; pausing a paused run answers it unchanged; conflict when it already finished',
  input: pauseInput,
  handler: async (stator, { id, by }) =>
    toExecutionDetail(await stator.setPaused(id, { pause: true, ...(by !== undefined && { by }) })),
  rateLimit: {},
});

/** `execution.resume`: the paused run starts what is ready. */
export const executionResume = defineCommand({
  name: 'execution.resume',
  description:
    'Resumes a paused run (a breakpoint step starts); resuming a run that is not paused answers it unchanged; conflict when it already finished',
  input: pauseInput,
  handler: async (stator, { id, by }) =>
    toExecutionDetail(
      await stator.setPaused(id, { pause: false, ...(by !== undefined && { by }) }),
    ),
  rateLimit: {},
});

/** The pause commands by name. */
export const PAUSE_COMMANDS = {
  'execution.pause': executionPause,
  'execution.resume': executionResume,
} as const;

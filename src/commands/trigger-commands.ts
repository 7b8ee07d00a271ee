/**
 * Trigger commands: list, get, pause, resume and fire (`stator.api.trigger.*`, and the HTTP
 * routes under `/api/triggers`).
 * @module
 */
import { z } from 'zod';
import { defineCommand } from './types.ts';
import { idSchema, optionalString } from './schemas.ts';

/** `trigger.list`: every declared trigger with its state, next and last fire. */
export const triggerList = defineCommand({
  name: 'trigger.list',
  description: 'Lists triggers with their state, next fire and last result (filter: workflowId)',
  input: z.object({ workflowId: optionalString }),
  handler: async (stator, { workflowId }) => ({
    items: await stator.listTriggers(workflowId === undefined ? {} : { workflowId }),
  }),
});

/** `trigger.get`: one trigger. */
export const triggerGet = defineCommand({
  name: 'trigger.get',
  description: 'Returns one trigger with its state, next fire and last result',
  input: z.object({ id: idSchema }),
  handler: (stator, { id }) => stator.getTrigger(id),
});

/** `trigger.pause`: stops a trigger from firing; stored, so it survives restarts. */
export const triggerPause = defineCommand({
  name: 'trigger.pause',
  description: 'Pauses a trigger (kept across restarts)',
  input: z.object({ id: idSchema }),
  handler: (stator, { id }) => stator.pauseTrigger(id),
});

/** `trigger.resume`: fires again from the next tick or message (also clears an error). */
export const triggerResume = defineCommand({
  name: 'trigger.resume',
  description: 'Resumes a paused trigger, or one in error',
  input: z.object({ id: idSchema }),
  handler: (stator, { id }) => stator.resumeTrigger(id),
});

/** `trigger.fire`: fires now through the overlap policy: started, queued or skipped. */
export const triggerFire = defineCommand({
  name: 'trigger.fire',
  description: 'Fires a trigger now (even paused); answers started, queued or skipped',
  input: z.object({ id: idSchema, input: z.record(z.string(), z.unknown()).optional() }),
  handler: (stator, { id, input }) => stator.fireTrigger(id, input === undefined ? {} : { input }),
});

/** The trigger commands by name, for the registry in dispatch.ts. */
export const TRIGGER_COMMANDS = {
  'trigger.list': triggerList,
  'trigger.get': triggerGet,
  'trigger.pause': triggerPause,
  'trigger.resume': triggerResume,
  'trigger.fire': triggerFire,
} as const;

/**
 * Execution commands: list, get, logs and cancel.
 * @module
 */
import { z } from 'zod';
import { defineCommand } from './types.ts';
import { cursorSchema, idSchema, limitSchema, optionalString, statusSchema } from './schemas.ts';
import { toExecutionDetail } from './views.ts';

/** `execution.list`: newest first, filtered by workflow and status. */
export const executionList = defineCommand({
  name: 'execution.list',
  description: 'Lists executions newest first, filtered by workflowId and status',
  input: z.object({
    workflowId: optionalString,
    status: statusSchema,
    limit: limitSchema,
    cursor: cursorSchema,
  }),
  handler: (stator, query) => stator.listExecutions(query),
});

/** `execution.get`: the run and its steps, without the definition. */
export const executionGet = defineCommand({
  name: 'execution.get',
  description: 'Returns an execution with the state of each step',
  input: z.object({ id: idSchema }),
  handler: async (stator, { id }) => toExecutionDetail(await stator.getExecution(id)),
});

/** `execution.logs`: kept output lines as text, prefixed by step id and stream. */
export const executionLogs = defineCommand({
  name: 'execution.logs',
  description: 'Returns the logs of an execution as text (optionally of one step)',
  input: z.object({ id: idSchema, stepId: optionalString }),
  handler: (stator, { id, stepId }) =>
    stator.logs(id, stepId === undefined ? undefined : { stepId }),
});

/** `execution.cancel`: stops a run; ConflictError when it already finished. */
export const executionCancel = defineCommand({
  name: 'execution.cancel',
  description: 'Cancels a run; fails with conflict when it already finished',
  input: z.object({ id: idSchema }),
  handler: async (stator, { id }) => toExecutionDetail(await stator.cancel(id)),
});

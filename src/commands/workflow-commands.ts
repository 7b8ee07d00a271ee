/**
 * Workflow commands: register, list, get, delete and execute.
 * @module
 */
import { z } from 'zod';
import { defineCommand } from './types.ts';
import {
  cursorSchema,
  idSchema,
  idempotencyKeySchema,
  limitSchema,
  prioritySchema,
} from './schemas.ts';
import { toWorkflowSummary } from './views.ts';

/** `workflow.register`: the payload is the definition itself, an object or YAML/JSON text. */
export const workflowRegister = defineCommand({
  name: 'workflow.register',
  description: 'Registers (creates or replaces) a workflow from an object or YAML/JSON text',
  input: z.union([
    z.string().min(1, 'the definition text is empty'),
    z.record(z.string(), z.unknown()),
  ]),
  handler: (stator, definition) => stator.registerWorkflow(definition),
});

/** `workflow.list`: one page of workflow summaries, ordered by id. */
export const workflowList = defineCommand({
  name: 'workflow.list',
  description: 'Lists workflows (summaries), ordered by id',
  input: z.object({ limit: limitSchema, cursor: cursorSchema }),
  handler: async (stator, query) => {
    const page = await stator.listWorkflows(query);
    return { items: page.items.map(toWorkflowSummary), nextCursor: page.nextCursor };
  },
});

/** `workflow.get`: one workflow record with its definition and source text. */
export const workflowGet = defineCommand({
  name: 'workflow.get',
  description: 'Returns a workflow record with its definition',
  input: z.object({ id: idSchema }),
  handler: (stator, { id }) => stator.getWorkflow(id),
});

/** `workflow.delete`: removes a definition; past runs stay. */
export const workflowDelete = defineCommand({
  name: 'workflow.delete',
  description: 'Deletes a workflow definition; its past runs stay in the history',
  input: z.object({ id: idSchema }),
  handler: async (stator, { id }) => {
    await stator.deleteWorkflow(id);
    return { id, deleted: true as const };
  },
});

/**
 * `workflow.execute`: validates the input and queues a run. With `idempotencyKey`, a repeat
 * answers the first run's id and `replayed: true`; 429 `queue_full` when too many runs wait.
 */
export const workflowExecute = defineCommand({
  name: 'workflow.execute',
  description:
    'Starts a run of a workflow; answers with its execution id (the first one again, replayed: true, for a repeated idempotencyKey)',
  input: z.object({
    workflowId: idSchema,
    input: z.record(z.string(), z.unknown()).optional(),
    executionId: idSchema.optional(),
    idempotencyKey: idempotencyKeySchema.optional(),
    priority: prioritySchema.optional(),
  }),
  handler: (stator, { workflowId, input, executionId, idempotencyKey, priority }) =>
    stator.execute(workflowId, input, {
      ...(executionId !== undefined && { executionId }),
      ...(idempotencyKey !== undefined && { idempotencyKey }),
      ...(priority !== undefined && { priority }),
    }),
});

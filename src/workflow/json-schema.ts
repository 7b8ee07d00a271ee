/**
 * The JSON Schema (draft 2020-12) of workflow definitions, generated from the input side of the
 * zod schema, for editors and API clients. Rules zod checks in code (a step has exactly one kind)
 * are added as JSON Schema constraints where they can be expressed.
 * @module
 */
import { z } from 'zod';
import { rawStepSchema, STEP_KINDS, workflowSchema } from './schema.ts';

/** The `$id` of the exported schema. */
export const WORKFLOW_SCHEMA_ID = 'urn:stator:schema:workflow:1';

/** The JSON Schema of a workflow definition as written in YAML or JSON. */
export function workflowJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(workflowSchema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      if (ctx.zodSchema === rawStepSchema) {
        ctx.jsonSchema.oneOf = STEP_KINDS.map((kind) => ({ required: [kind] }));
      }
    },
  });
  const { $schema, ...rest } = schema;
  return {
    $schema,
    $id: WORKFLOW_SCHEMA_ID,
    title: 'Stator workflow',
    description:
      'A workflow: steps forming a DAG through `needs`, with inputs, env, retries and timeouts.',
    ...rest,
  };
}

import { describe, expect, it } from 'vitest';
import { STEP_KINDS } from '../../../src/workflow/schema.ts';
import { WORKFLOW_SCHEMA_ID, workflowJsonSchema } from '../../../src/workflow/json-schema.ts';

interface Node {
  properties: Record<string, Node & Record<string, unknown>>;
  items: Node;
  oneOf?: Array<{ required: string[] }>;
  required?: string[];
  additionalProperties?: unknown;
}

describe('workflowJsonSchema', () => {
  it('is draft 2020-12 JSON with an $id and title', () => {
    const schema = workflowJsonSchema();
    const roundTrip = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
    expect(roundTrip).toEqual(schema);
    expect(schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      $id: WORKFLOW_SCHEMA_ID,
      title: 'Stator workflow',
      type: 'object',
      required: ['id', 'steps'],
      additionalProperties: false,
    });
  });

  it('describes the input side: step kinds, durations and shorthands', () => {
    const root = workflowJsonSchema() as unknown as Node;
    const step = root.properties.steps!.items;
    for (const kind of STEP_KINDS) expect(step.properties[kind]).toBeDefined();
    expect(step.oneOf).toEqual(STEP_KINDS.map((k) => ({ required: [k] })));
    expect(step.additionalProperties).toBe(false);
    expect(step.required).toEqual(['id']);
    expect(JSON.stringify(step.properties.timeout)).toContain('"type":"string"');
    expect(JSON.stringify(step.properties.needs)).toContain('"type":"array"');
    expect(root.properties.concurrency).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 1024,
    });
    // Output-only fields of the resolved type are not part of the authored shape.
    expect(step.properties.kind).toBeUndefined();
    expect(step.properties.timeoutMs).toBeUndefined();
    expect(root.properties.triggers).toMatchObject({ type: 'array' });
  });
});

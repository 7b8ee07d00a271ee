/**
 * Stable trigger ids: `<workflowId>-<kind>-<n>`, the n-th trigger of that kind in the workflow
 * (from 0), so adding a trigger of another kind renames nothing. Workflow ids are subject
 * tokens, so trigger ids are too (`stator.trigger.<id>.in`); read from the end, an id names
 * one workflow, kind and ordinal.
 * @module
 */
import type { TriggerKind, WorkflowDefinition } from '../workflow/index.ts';
import type { DeclaredTrigger } from './types.ts';

/** The id of the `ordinal`-th trigger of `kind` in workflow `workflowId`. */
export function triggerId(workflowId: string, kind: TriggerKind, ordinal: number): string {
  return `${workflowId}-${kind}-${ordinal}`;
}

/** Every trigger a definition declares, in list order, with its id. */
export function declaredTriggers(definition: WorkflowDefinition): DeclaredTrigger[] {
  const seen: Partial<Record<TriggerKind, number>> = {};
  return (definition.triggers ?? []).map((t, index) => {
    const ordinal = seen[t.kind] ?? 0;
    seen[t.kind] = ordinal + 1;
    return {
      id: triggerId(definition.id, t.kind, ordinal),
      workflowId: definition.id,
      index,
      definition: t,
    };
  });
}

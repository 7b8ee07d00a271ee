/**
 * Immutable workflow definitions. A definition a process runs is shared by every run of it
 * (records, live runs, the run's actors) instead of being copied per run; freezing it makes
 * that sharing safe, and lets a store serialise one definition once for all its runs.
 * @module
 */
import type { WorkflowDefinition } from './types.ts';

/** Freezes `definition` and everything in it; returns it. */
export function freezeDefinition(definition: WorkflowDefinition): WorkflowDefinition {
  return deepFreeze(definition);
}

function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return Object.freeze(value);
}

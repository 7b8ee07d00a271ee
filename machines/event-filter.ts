/**
 * Matching of stamped events against a subscriber's filter. Pure, shared by the monitor
 * machine and the runtime's bus bridges.
 * @module
 */
import type { Severity, StampedEvent } from '../src/events.ts';
import type { EventFilter } from '../src/runtime/types.ts';

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2, critical: 3 };

/** True when `event` passes every field the filter sets. */
export function matchesFilter(filter: EventFilter, event: StampedEvent): boolean {
  if (
    filter.executionId !== undefined &&
    !('executionId' in event && event.executionId === filter.executionId)
  )
    return false;
  if (
    filter.workflowId !== undefined &&
    !('workflowId' in event && event.workflowId === filter.workflowId)
  )
    return false;
  if (filter.kind !== undefined || filter.id !== undefined) {
    const dot = event.source.indexOf('.');
    if (filter.kind !== undefined && event.source.slice(0, dot) !== filter.kind) return false;
    if (filter.id !== undefined && event.source.slice(dot + 1) !== filter.id) return false;
  }
  if (filter.type !== undefined) {
    if (
      filter.type.endsWith('.') ? !event.type.startsWith(filter.type) : event.type !== filter.type
    )
      return false;
  }
  if (filter.severity !== undefined && RANK[event.severity] < RANK[filter.severity]) return false;
  return true;
}

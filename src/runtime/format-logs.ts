/**
 * The plain-text form of an execution's logs: one line per output line, prefixed by the step
 * id and the stream, with a marker where the per-step bound dropped earlier lines.
 * @module
 */
import type { ExecutionLogs } from '../store/index.ts';

/** Formats logs as `<step> <stream> | <line>`. */
export function formatLogs(logs: ExecutionLogs): string {
  const out: string[] = [];
  const marked = new Set<string>();
  for (const l of logs.lines) {
    const dropped = logs.truncated[l.stepId];
    if (dropped && !marked.has(l.stepId)) {
      marked.add(l.stepId);
      out.push(`${l.stepId} ${l.stream} | [… ${dropped} earlier lines truncated]`);
    }
    out.push(`${l.stepId} ${l.stream} | ${l.line}`);
  }
  return out.length ? out.join('\n') + '\n' : '';
}

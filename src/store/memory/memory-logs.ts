/**
 * Logs of the in-memory store: per execution, each step's kept lines tagged with an append
 * sequence (so reads merge steps back into append order) and the count of dropped lines.
 * Lines arrive cut to the length limit (checkedStore); the per-step bound is applied here.
 * @module
 */
import { NotFoundError } from '../../errors.ts';
import { planLogBound } from '../limits.ts';
import type { ExecutionLogs, LogLine, LogStore } from '../roles/index.ts';
import type { StoreLimits } from '../types.ts';

/** The logs of one execution. */
export interface MemoryLogState {
  seq: number;
  steps: Map<string, { lines: [number, LogLine][]; dropped: number }>;
}

/** The logs of a new execution. */
export function newLogState(): MemoryLogState {
  return { seq: 0, steps: new Map() };
}

/** The logs role of a memory store; `logsOf` finds an execution's logs (undefined: none). */
export function createMemoryLogs(
  limits: Pick<StoreLimits, 'maxLogLinesPerStep'>,
  logsOf: (executionId: string) => MemoryLogState | undefined,
): LogStore {
  return {
    async appendLogs(executionId, lines) {
      const logs = logsOf(executionId);
      if (logs === undefined) throw new NotFoundError('execution', executionId);
      const perStep = new Map<string, number>();
      for (const l of lines) perStep.set(l.stepId, (perStep.get(l.stepId) ?? 0) + 1);
      for (const l of lines) {
        let step = logs.steps.get(l.stepId);
        if (step === undefined) logs.steps.set(l.stepId, (step = { lines: [], dropped: 0 }));
        const line: LogLine = { stepId: l.stepId, stream: l.stream, line: l.line, ts: l.ts };
        if (l.attempt !== undefined) line.attempt = l.attempt;
        step.lines.push([logs.seq++, line]);
      }
      for (const [stepId, incoming] of perStep) {
        const step = logs.steps.get(stepId)!;
        const kept = step.lines.length - incoming;
        const plan = planLogBound(kept, incoming, limits.maxLogLinesPerStep);
        const drop = plan.dropStored + plan.skipNew;
        if (drop > 0) {
          step.lines.splice(0, drop);
          step.dropped += drop;
        }
      }
    },

    async getLogs(executionId, opts = {}): Promise<ExecutionLogs> {
      const logs = logsOf(executionId);
      const out: ExecutionLogs = { lines: [], truncated: {} };
      if (logs === undefined) return out;
      const tagged: [number, LogLine][] = [];
      for (const [stepId, step] of logs.steps) {
        if (opts.stepId !== undefined && stepId !== opts.stepId) continue;
        for (const l of step.lines) tagged.push(l);
        if (step.dropped > 0) out.truncated[stepId] = step.dropped;
      }
      tagged.sort((a, b) => a[0] - b[0]);
      out.lines = tagged.map(([, l]) => ({ ...l }));
      return out;
    },
  };
}

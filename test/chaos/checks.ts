/**
 * Checks on what the API reports after a chaos round, each returning the violations as
 * readable lines (an empty list when all is well), so one failing test names every broken
 * run and step at once.
 * @module
 */
import type { ChaosApi, ExecutionView, StepView } from './api.ts';
import type { UpInterval } from './harness.ts';
import { saidLogLine } from './markers.ts';
import type { WorkflowDoc } from './workloads.ts';

/** `<id> (<workflow>): <status>` with the steps that are not succeeded and the error. */
export function describeRun(r: ExecutionView): string {
  const steps = r.steps
    .filter((s) => s.status !== 'succeeded')
    .map(
      (s) =>
        `${s.id}=${s.status}(attempts ${s.attempts}, exit ${s.exitCode}${s.error ? `, ${s.error}` : ''})`,
    );
  const error = r.error ? ` error ${r.error.code}: ${r.error.message}` : '';
  return `${r.id} (${r.workflowId}): ${r.status}${steps.length ? ` [${steps.join('; ')}]` : ''}${error}`;
}

/** Every run of `records` that did not end `completed` (or was never readable). */
export function notCompleted(records: Map<string, ExecutionView | undefined>): string[] {
  const out: string[] = [];
  for (const [id, r] of records) {
    if (r === undefined) out.push(`${id}: never readable`);
    else if (r.status !== 'completed') out.push(describeRun(r));
  }
  return out;
}

/** Expectations on a step record, by workflow and step id. */
export interface StepExpectation {
  /** Exact `attempts`. */
  attempts?: number;
  /** Bounds of `lostAttempts` (absent counts as 0). */
  minLost?: number;
  maxLost?: number;
}

/**
 * Step records that break `expect`: every step of a run must be `succeeded` (its record
 * settled, never `interrupted`), and match the attempts and lost attempts expected of it.
 */
export function stepRecordViolations(
  records: Map<string, ExecutionView | undefined>,
  expect: (workflowId: string, step: StepView) => StepExpectation,
): string[] {
  const out: string[] = [];
  for (const r of records.values()) {
    if (r === undefined) continue;
    for (const s of r.steps) {
      const e = expect(r.workflowId, s);
      const lost = s.lostAttempts ?? 0;
      const where = `${r.id}/${s.id} (${r.workflowId})`;
      if (s.status !== 'succeeded') out.push(`${where}: status ${s.status}, error ${s.error}`);
      if (e.attempts !== undefined && s.attempts !== e.attempts && s.status !== 'skipped')
        out.push(`${where}: attempts ${s.attempts}, expected ${e.attempts}`);
      if (e.minLost !== undefined && !(lost >= e.minLost))
        out.push(`${where}: lostAttempts ${String(s.lostAttempts)}, expected ≥ ${e.minLost}`);
      if (e.maxLost !== undefined && lost > e.maxLost)
        out.push(`${where}: lostAttempts ${lost}, expected ≤ ${e.maxLost}`);
    }
  }
  return out;
}

/** Ids of the steps of `doc` that print their `said` line. */
export function sayingSteps(doc: WorkflowDoc): string[] {
  return doc.steps
    .filter((s) => JSON.stringify(s.run ?? s.exec ?? '').includes('said $S $E'))
    .map((s) => s.id);
}

/** Runs whose logs miss the `said` line of a step that prints one. */
export async function missingOutput(
  api: ChaosApi,
  records: Map<string, ExecutionView | undefined>,
  docs: Map<string, WorkflowDoc>,
): Promise<string[]> {
  const out: string[] = [];
  for (const r of records.values()) {
    const doc = r && docs.get(r.workflowId);
    if (!r || !doc) continue;
    const steps = sayingSteps(doc);
    if (steps.length === 0) continue;
    const logs = await api.logs(r.id);
    for (const step of steps) {
      if (!logs.includes(saidLogLine(r.id, step))) out.push(`${r.id}/${step}: output line missing`);
    }
  }
  return out;
}

/**
 * The latest a durable `sleep` of `ms` started at `startedAt` may end: `slackMs` after the
 * first moment from its deadline on when a server was up, and stayed up for at least `slackMs`
 * (a kill just after the deadline may lose the end, which the next server then settles).
 */
export function sleepDueBy(
  startedAt: number,
  ms: number,
  up: UpInterval[],
  slackMs: number,
): number {
  const deadline = startedAt + ms;
  const settles = up.find((u) => u.to >= Math.max(deadline, u.from) + slackMs);
  return settles === undefined ? Infinity : Math.max(deadline, settles.from) + slackMs;
}

/**
 * Succeeded `sleep` steps (`stepId` of `workflowId`, `ms` long) that ended early, or later than
 * their stored deadline allows: durable time resumes with what is left, it does not start over.
 */
export function durableSleepViolations(
  records: Map<string, ExecutionView | undefined>,
  workflowId: string,
  stepId: string,
  ms: number,
  up: UpInterval[],
  slackMs = 2000,
): string[] {
  const out: string[] = [];
  for (const r of records.values()) {
    if (r?.workflowId !== workflowId) continue;
    const s = r.steps.find((x) => x.id === stepId);
    if (s?.status !== 'succeeded') continue; // stepRecordViolations names it
    if (!s.startedAt || !s.finishedAt) {
      out.push(`${r.id}/${stepId}: succeeded without a start or end time`);
      continue;
    }
    const start = Date.parse(s.startedAt);
    const end = Date.parse(s.finishedAt);
    const dueBy = sleepDueBy(start, ms, up, slackMs);
    if (end < start + ms - 5) out.push(`${r.id}/${stepId}: slept ${end - start} ms of ${ms}`);
    if (end > dueBy)
      out.push(
        `${r.id}/${stepId}: ended ${end - dueBy + slackMs} ms after it was due (restarted, not resumed?)`,
      );
  }
  return out;
}

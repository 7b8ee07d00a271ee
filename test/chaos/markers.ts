/**
 * What steps write so a test can tell afterwards how often, when and beside what they ran.
 * Every marked step's script appends lines to `<markers>/markers`:
 *
 *   <executionId> <stepId> <attempt> start <pid> <ms>
 *   <executionId> <stepId> <attempt> end <pid> <ms>       (ran to its end, exit 0)
 *   <executionId> <stepId> <attempt> fail <pid> <ms>      (failed on purpose)
 *   <executionId> <stepId> <attempt> overlap <other> <ms> (another copy of this step was alive)
 *
 * and the pid of its shell (and of each background child) to `<markers>/pids`, for the orphan
 * check. The overlap line is written by the copy that starts while an earlier copy is still
 * alive (its pid is in `pids.<executionId>.<stepId>` and its environment names the same run and
 * step, so a reused pid does not count): a copy killed without a trace is caught too.
 * The markers directory reaches steps through the workflow's `env` (a step's environment is
 * built, not inherited), with a PATH of its own.
 * @module
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './procfs.ts';

/** The variable naming the markers directory in a step's environment. */
export const MARKERS_ENV = 'CHAOS_MARKERS';

/** The `env` every chaos workflow declares. */
export function markerEnv(markersDir: string): Record<string, string> {
  return { [MARKERS_ENV]: markersDir, PATH: '/usr/local/bin:/usr/bin:/bin' };
}

const PROLOGUE = String.raw`M="$CHAOS_MARKERS"; E="$STATOR_EXECUTION_ID"; S="$STATOR_STEP_ID"
K="$E $S $STATOR_ATTEMPT"; P="$M/pids.$E.$S"
echo $$ >> "$M/pids"; echo $$ >> "$P"
echo "$K start $$ $(date +%s%3N)" >> "$M/markers"
for o in $(cat "$P"); do
  [ "$o" = "$$" ] && continue
  if tr '\0' '\n' < /proc/$o/environ 2>/dev/null | grep -qxF "STATOR_EXECUTION_ID=$E" &&
     tr '\0' '\n' < /proc/$o/environ 2>/dev/null | grep -qxF "STATOR_STEP_ID=$S"; then
    echo "$K overlap $o $(date +%s%3N)" >> "$M/markers"
  fi
done
`;

const EPILOGUE = `echo "$K end $$ $(date +%s%3N)" >> "$M/markers"\n`;

/** A step script: the markers around `body` (shell text; `$M`, `$E`, `$S`, `$K` are set). */
export function markedScript(body: string): string {
  return `${PROLOGUE}${body.trimEnd()}\n${EPILOGUE}`;
}

/** Body: sleeps `seconds` in a background child whose pid is recorded, waiting for it. */
export function sleepBody(seconds: number): string {
  return `sleep ${seconds} & c=$!; echo $c >> "$M/pids"; wait $c\n`;
}

/** Body: the first attempt of the step (per run) fails with exit 3, later ones go on. */
export const FAIL_ONCE_BODY = String.raw`if [ ! -e "$M/failed.$E.$S" ]; then
  : > "$M/failed.$E.$S"; echo "$K fail $$ $(date +%s%3N)" >> "$M/markers"; exit 3
fi
`;

/** Body: prints the line `said <stepId> <executionId>` on stdout. */
export const SAY_BODY = 'echo "said $S $E"\n';

/** The line SAY_BODY prints, as `GET /api/executions/:id/logs` shows it. */
export function saidLogLine(executionId: string, stepId: string): string {
  return `${stepId} stdout | said ${stepId} ${executionId}`;
}

/** One marker line. */
export interface Marker {
  executionId: string;
  stepId: string;
  attempt: number;
  kind: 'start' | 'end' | 'fail' | 'overlap';
  pid: number;
  ms: number;
}

/** Every marker written so far, in file order. */
export function readMarkers(markersDir: string): Marker[] {
  let text: string;
  try {
    text = readFileSync(join(markersDir, 'markers'), 'utf8');
  } catch {
    return [];
  }
  const out: Marker[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length !== 6) continue;
    out.push({
      executionId: f[0]!,
      stepId: f[1]!,
      attempt: Number(f[2]),
      kind: f[3] as Marker['kind'],
      pid: Number(f[4]),
      ms: Number(f[5]),
    });
  }
  return out;
}

/** Every pid a marked step recorded (shells and background children). */
export function recordedPids(markersDir: string): number[] {
  try {
    return readFileSync(join(markersDir, 'pids'), 'utf8')
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number);
  } catch {
    return [];
  }
}

/** Recorded pids that are still alive (zombies do not count). */
export function liveRecordedPids(markersDir: string): number[] {
  return [...new Set(recordedPids(markersDir))].filter(isAlive);
}

/** The markers of one step of one run. */
export function markersOf(markers: Marker[], executionId: string, stepId: string): Marker[] {
  return markers.filter((m) => m.executionId === executionId && m.stepId === stepId);
}

/** How often each kind occurs in `markers`. */
export function countKinds(markers: Marker[]): Record<Marker['kind'], number> {
  const n = { start: 0, end: 0, fail: 0, overlap: 0 };
  for (const m of markers) n[m.kind]++;
  return n;
}

/** `<executionId>/<stepId>` of every step of `executionIds` that wrote a marker. */
export function markedSteps(markers: Marker[], executionIds?: Iterable<string>): string[] {
  const only = executionIds === undefined ? undefined : new Set(executionIds);
  const keys = new Set<string>();
  for (const m of markers) {
    if (only === undefined || only.has(m.executionId)) keys.add(`${m.executionId}/${m.stepId}`);
  }
  return [...keys];
}

/**
 * Every time two copies of one step were alive at once: overlap markers (a copy found an
 * earlier one alive when it started), and intervals [start, end] of copies that both finished
 * and intersect.
 */
export function overlapViolations(markers: Marker[]): string[] {
  const out: string[] = [];
  for (const m of markers) {
    if (m.kind === 'overlap') {
      out.push(
        `${m.executionId}/${m.stepId}: attempt ${m.attempt} started while pid ${m.pid} (an earlier copy) was alive`,
      );
    }
  }
  const copies = new Map<string, Map<number, { start?: number; end?: number }>>();
  for (const m of markers) {
    if (m.kind !== 'start' && m.kind !== 'end' && m.kind !== 'fail') continue;
    const key = `${m.executionId}/${m.stepId}`;
    const byPid = copies.get(key) ?? new Map<number, { start?: number; end?: number }>();
    copies.set(key, byPid);
    const copy = byPid.get(m.pid) ?? {};
    byPid.set(m.pid, copy);
    if (m.kind === 'start') copy.start = m.ms;
    else copy.end = m.ms;
  }
  for (const [key, byPid] of copies) {
    const done = [...byPid]
      .filter(([, c]) => c.start !== undefined && c.end !== undefined)
      .sort((a, b) => a[1].start! - b[1].start!);
    for (let i = 1; i < done.length; i++) {
      const [prevPid, prev] = done[i - 1]!;
      const [pid, cur] = done[i]!;
      if (cur.start! < prev.end!) {
        out.push(
          `${key}: pid ${pid} started at ${cur.start} before pid ${prevPid} ended at ${prev.end}`,
        );
      }
    }
  }
  return out;
}

/**
 * Steps that ran more often than allowed: every step must end (exit 0 through its script's
 * end) exactly once, must never start again after that end, and may start only
 * `ends + fails + lost` times, where `lost` is how many copies a test allows to vanish
 * (0 when only the server was killed).
 */
export function rerunViolations(
  markers: Marker[],
  keys: Iterable<string>,
  allowedLost: (key: string) => number = () => 0,
): string[] {
  const out: string[] = [];
  for (const key of keys) {
    const [executionId, stepId] = key.split('/') as [string, string];
    const mine = markersOf(markers, executionId, stepId);
    const n = countKinds(mine);
    const endAt = mine.find((m) => m.kind === 'end')?.ms;
    const restartedAfterEnd = mine.filter(
      (m) => m.kind === 'start' && endAt !== undefined && m.ms > endAt,
    );
    const lost = n.start - n.end - n.fail;
    if (n.end !== 1) out.push(`${key}: ran to its end ${n.end} times (starts ${n.start})`);
    if (restartedAfterEnd.length > 0)
      out.push(`${key}: started again ${restartedAfterEnd.length}× after it had succeeded`);
    if (lost > allowedLost(key))
      out.push(
        `${key}: ${lost} copies started but neither ended nor failed (allowed ${allowedLost(key)})`,
      );
  }
  return out;
}

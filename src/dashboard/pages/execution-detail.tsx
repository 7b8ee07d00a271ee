/**
 * One run: its DAG coloured by step state, the Gantt of attempts, live logs with step and
 * stream, and cancel. Its own event stream (`executionId=` filter, replayed from the start of
 * what the server keeps) feeds all three as events arrive; the record is reloaded at most once
 * a second to settle what the events said.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { getJson, getText, postJson, seg } from '../lib/api.ts';
import { ago, duration, FINAL_EXECUTION, ms, runStatusAfter, time } from '../lib/format.ts';
import { useNow, useResource } from '../lib/hooks.ts';
import { useScopedStream } from '../lib/live.ts';
import { href } from '../lib/router.ts';
import type { Execution, LiveEvent, Workflow, WorkflowStep } from '../lib/types.ts';
import { Action, Badge, ErrorNote, Section } from '../components/common.tsx';
import { ApprovalBox } from '../components/approval.tsx';
import { Artifacts } from '../components/artifacts.tsx';
import { Dag, MAX_DRAWN } from '../components/dag.tsx';
import { Gantt, type Attempt, type GanttRow } from '../components/gantt.tsx';
import { appendLines, LogView, type LogLine } from '../components/log-view.tsx';
import { parseLogText } from '../lib/run-model.ts';

/** Runs with more steps than this are not replayed from their start (see below). */
const REPLAY_MAX_STEPS = 2000;

const STEP_STATUS: Record<string, string> = {
  'step.started': 'running',
  'step.retrying': 'retrying',
  'step.completed': 'succeeded',
  'step.failed': 'failed',
  'step.timed_out': 'timed_out',
  'step.cancelled': 'cancelled',
  'step.interrupted': 'interrupted',
  'step.skipped': 'skipped',
  'step.awaiting_approval': 'awaiting_approval',
  'step.approved': 'running',
  'step.rejected': 'failed',
};

interface LiveState {
  status: Map<string, string>;
  /** Questions of approval steps, from their `step.awaiting_approval` events. */
  asks: Map<
    string,
    { message: string; approvers?: string[] | undefined; deadline?: string | undefined }
  >;
  attempts: Map<string, Attempt[]>;
  lines: LogLine[];
  gap: boolean;
  runStatus: string | undefined;
}

/** Applies a batch to the live state in place (a run of 10,000 steps: no copies per batch). */
function applyEvents(state: LiveState, batch: LiveEvent[]): void {
  const { status, attempts } = state;
  const lines: LogLine[] = [];
  let { gap, runStatus } = state;
  for (const e of batch) {
    if (e.type === 'monitor.gap') gap = true;
    runStatus = runStatusAfter(e.type) ?? runStatus;
    const step = e.stepId;
    if (step === undefined) continue;
    if (e.type === 'step.stdout' || e.type === 'step.stderr') {
      lines.push({
        key: e.seq ?? `${e.ts}${lines.length}`,
        step,
        stream: e.type.slice(5),
        text: e.line ?? '',
      });
      continue;
    }
    if (e.type === 'step.awaiting_approval') {
      state.asks.set(step, {
        message: String(e['message'] ?? ''),
        approvers: e['approvers'] as string[] | undefined,
        deadline: e['deadline'] as string | undefined,
      });
    }
    const next = STEP_STATUS[e.type];
    if (!next) continue;
    if (
      e.type === 'step.awaiting_approval' ||
      e.type === 'step.approved' ||
      e.type === 'step.rejected'
    ) {
      status.set(step, next);
      continue;
    }
    status.set(step, next);
    const list = attempts.get(step) ?? [];
    const n = e.attempt ?? list.length + 1;
    const at = ms(e.ts) ?? Date.now();
    if (e.type === 'step.started') {
      list.push({ attempt: n, start: at, end: null, status: 'running' });
    } else {
      const open = list.findLast((a) => a.end === null);
      if (open) Object.assign(open, { end: at, status: next === 'retrying' ? 'failed' : next });
    }
    attempts.set(step, list);
  }
  Object.assign(state, { lines: appendLines(state.lines, lines), gap, runStatus });
}

const fresh = (): LiveState => ({
  status: new Map(),
  asks: new Map(),
  attempts: new Map(),
  lines: [],
  gap: false,
  runStatus: undefined,
});

export function ExecutionDetail(props: { id: string }) {
  // The clock moves running bars and durations; a big run's page redraws less often.
  const [bigRun, setBigRun] = useState(false);
  const now = useNow(bigRun ? 5000 : 1000);
  const live = useRef<LiveState>(fresh());
  const [, setVersion] = useState(0);
  const liveState = live.current;
  const [selected, setSelected] = useState<string | undefined>(undefined);
  // A run followed from now (too big to replay): its steps' states come from the live events.
  const followed = useRef(false);
  const record = useResource(
    () => getJson<Execution>(`/api/executions/${seg(props.id)}`),
    [props.id],
    // Output lines and progress counts change nothing the record shows that the live state
    // does not already show. Nor do step events of a followed run: reading and drawing its
    // record again stalls the page for hundreds of ms, so it is read again at run-level events.
    (e) =>
      e.executionId === props.id &&
      e.type !== 'execution.progress' &&
      !e.type.endsWith('stdout') &&
      !e.type.endsWith('stderr') &&
      !(followed.current && e.type.startsWith('step.')),
  );
  const workflowId = record.data?.workflowId;
  // The definition gives the DAG its edges; a run drawn as a grid has no use for them.
  const drawn = (record.data?.steps?.length ?? 0) <= MAX_DRAWN;
  const workflow = useResource(
    () =>
      workflowId && drawn
        ? getJson<Workflow>(`/api/workflows/${seg(workflowId)}`)
        : Promise.resolve(undefined),
    [workflowId, drawn],
  );

  // The stream opens once the record is shown (its replay must not delay the first paint).
  // A run of up to REPLAY_MAX_STEPS steps replays what the server keeps of it; a larger one
  // follows from now, its earlier lines read from the log text and its state from the record.
  const loaded = record.data !== undefined;
  const replay = (record.data?.steps?.length ?? 0) <= REPLAY_MAX_STEPS;
  followed.current = loaded && !replay;
  useScopedStream(
    loaded ? { executionId: props.id, ...(replay && { lastEventId: '0' }) } : undefined,
    (batch) => {
      // Progress counts are not drawn here (the DAG shows every step): no re-render for them.
      if (batch.every((e) => e.type === 'execution.progress')) return;
      applyEvents(live.current, batch);
      setVersion((v) => v + 1);
    },
    [props.id, loaded, replay],
    () => {
      if (replay) return;
      record.reload();
      getText(`/api/executions/${seg(props.id)}/logs`).then(
        (text) => {
          live.current.lines = parseLogText(text);
          setVersion((v) => v + 1);
        },
        () => undefined,
      );
    },
  );
  useEffect(() => {
    live.current = fresh();
    setVersion((v) => v + 1);
  }, [props.id]);

  const x = record.data;
  // The same array across reloads of the record (once a second): the DAG re-renders only
  // where a state changed. A big run is drawn as a grid, where `needs` play no part.
  const idsKey = x?.steps ? `${x.steps.length}:${x.steps[0]?.id}:${x.steps.at(-1)?.id}` : '';
  const defined = workflow.data?.definition.steps;
  const useDefined = defined !== undefined && (x?.steps?.length ?? 0) <= MAX_DRAWN;
  const steps: WorkflowStep[] = useMemo(() => {
    if (useDefined && defined) return defined;
    return (x?.steps ?? []).map((s) => ({ id: s.id, needs: [] }));
  }, [useDefined ? defined : undefined, idsKey]);
  const recordStatus = useMemo(() => new Map((x?.steps ?? []).map((s) => [s.id, s])), [x?.steps]);
  const stepStatus = (id: string): string => {
    const rec = recordStatus.get(id);
    const waits =
      rec?.approval !== undefined &&
      rec.approval.decision === undefined &&
      rec.status === 'running' &&
      rec.approval.attempt === rec.attempts;
    const fromRecord = waits ? 'awaiting_approval' : rec?.status;
    const fromLive = liveState.status.get(id);
    // A final status in the record is the truth; before it, live events are newer.
    if (
      fromRecord &&
      !['pending', 'running', 'waiting', 'retrying', 'awaiting_approval'].includes(fromRecord)
    ) {
      return fromRecord;
    }
    return fromLive ?? fromRecord ?? 'pending';
  };
  const runStatus =
    x && FINAL_EXECUTION.has(x.status) ? x.status : (liveState.runStatus ?? x?.status);

  // The bars the record tells of (before any live event about a step), once per record.
  const recordAttempts = useMemo(() => {
    const out = new Map<string, Attempt[]>();
    for (const r of x?.steps ?? []) {
      if (!r.startedAt) continue;
      const start = ms(r.startedAt) ?? 0;
      const last = ms(r.attemptStartedAt) ?? start;
      const end = ms(r.finishedAt);
      out.set(
        r.id,
        last > start
          ? [
              { attempt: 1, start, end: last, status: 'failed' },
              { attempt: r.attempts, start: last, end, status: r.status },
            ]
          : [{ attempt: r.attempts || 1, start, end, status: r.status }],
      );
    }
    return out;
  }, [x?.steps]);
  const finished = FINAL_EXECUTION.has(runStatus ?? '');
  const isBig = steps.length > MAX_DRAWN;
  useEffect(() => setBigRun(isBig), [isBig]);
  const endOfRun = ms(x?.finishedAt) ?? now;
  const stepIds = useMemo(() => steps.map((st) => st.id), [steps]);
  const statusOf = new Map(steps.map((st) => [st.id, stepStatus(st.id)]));
  const rowOf = (id: string): GanttRow => {
    const liveAttempts = liveState.attempts.get(id);
    let attempts: Attempt[] =
      liveAttempts && liveAttempts.length > 0 ? liveAttempts : (recordAttempts.get(id) ?? []);
    if (finished && attempts.some((a) => a.end === null)) {
      attempts = attempts.map((a) => (a.end === null ? { ...a, end: endOfRun } : a));
    }
    return { id, status: statusOf.get(id) ?? 'pending', attempts };
  };

  const [fullLog, setFullLog] = useState<LogLine[] | undefined>(undefined);
  const lines = fullLog ?? liveState.lines;
  const shownLines = selected ? lines.filter((l) => l.step === selected) : lines;
  const waiting =
    runStatus && FINAL_EXECUTION.has(runStatus)
      ? []
      : steps.filter((st) => statusOf.get(st.id) === 'awaiting_approval').map((st) => st.id);
  const ask = (id: string) => {
    const a = liveState.asks.get(id) ?? recordStatus.get(id)?.approval;
    return {
      message: a?.message ?? 'waiting for a decision',
      approvers: a?.approvers,
      deadline: a?.deadline,
    };
  };
  const counts = new Map<string, number>();
  for (const st of statusOf.values()) counts.set(st, (counts.get(st) ?? 0) + 1);

  return (
    <div class="detail">
      <Section
        title={`Execution ${props.id}`}
        testId="execution-detail"
        extra={
          <span>
            <Badge status={runStatus} testId="execution-status" />{' '}
            {x?.paused && runStatus && !FINAL_EXECUTION.has(runStatus) && (
              <span class="muted" data-testid="paused">
                paused by {x.paused.by}
                {x.paused.stepId !== undefined && ` before ${x.paused.stepId}`}{' '}
              </span>
            )}
            {runStatus && !FINAL_EXECUTION.has(runStatus) && (
              <Action
                label="Cancel"
                kind="danger"
                testId="cancel"
                run={() => postJson(`/api/executions/${seg(props.id)}/cancel`)}
              />
            )}
            {runStatus && !FINAL_EXECUTION.has(runStatus) && (
              <Action
                label={x?.paused ? 'Resume' : 'Pause'}
                testId={x?.paused ? 'resume' : 'pause'}
                run={() =>
                  postJson(`/api/executions/${seg(props.id)}/${x?.paused ? 'resume' : 'pause'}`)
                }
              />
            )}
            {runStatus && FINAL_EXECUTION.has(runStatus) && runStatus !== 'completed' && (
              <Action
                label="Retry"
                testId="retry"
                run={async () => {
                  const r = await postJson<{ executionId: string }>(
                    `/api/executions/${seg(props.id)}/retry`,
                  );
                  if (r) location.hash = href('executions', r.executionId);
                }}
              />
            )}
          </span>
        }
      >
        <ErrorNote error={record.error} />
        {x && (
          <p class="muted">
            workflow{' '}
            <a href={href('executions') + `?workflow=${encodeURIComponent(x.workflowId)}`}>
              {x.workflowId}
            </a>{' '}
            · started {time(x.startedAt)} ({ago(x.startedAt, now)}) ·{' '}
            {duration((ms(x.finishedAt) ?? now) - (ms(x.startedAt) ?? now))} · engine{' '}
            {x.engineId ?? '–'} · {[...counts].map(([k, v]) => `${v} ${k}`).join(', ')} ·{' '}
            <a href={`${href('machines', 'execution')}?actor=${encodeURIComponent(x.id)}`}>
              statechart
            </a>
          </p>
        )}
        {x?.error && (
          <p class="error">
            {x.error.code}: {x.error.message}
          </p>
        )}
        {waiting.map((id) => (
          <ApprovalBox
            key={id}
            approval={{ executionId: props.id, stepId: id, ...ask(id) }}
            onDecided={record.reload}
          />
        ))}
        {x?.steps?.some((st) => st.rollback) && (
          <ul class="muted" data-testid="rollbacks">
            {x.steps.map(
              (st) =>
                st.rollback && (
                  <li key={st.id} data-testid={`rollback-${st.id}`}>
                    {st.id}: {st.rollback.status.replace('_', ' ')} ({st.rollback.attempts}{' '}
                    {st.rollback.attempts === 1 ? 'attempt' : 'attempts'})
                    {st.rollback.error !== undefined && ` · ${st.rollback.error}`}
                  </li>
                ),
            )}
          </ul>
        )}
        <Dag
          steps={steps}
          status={(id) => statusOf.get(id) ?? 'pending'}
          selected={selected}
          onSelect={(id) => setSelected((s) => (s === id ? undefined : id))}
        />
        <Artifacts executionId={props.id} steps={x?.steps} />
      </Section>
      <Section title="Timeline" testId="timeline">
        <Gantt
          ids={stepIds}
          rowOf={rowOf}
          start={x?.startedAt ?? null}
          end={finished ? (x?.finishedAt ?? null) : null}
          now={now}
        />
      </Section>
      <Section
        title={selected ? `Logs of ${selected}` : 'Logs'}
        testId="execution-logs"
        extra={
          <span>
            {selected && (
              <button type="button" onClick={() => setSelected(undefined)}>
                all steps
              </button>
            )}
            {(liveState.gap || FINAL_EXECUTION.has(runStatus ?? '')) && (
              <Action
                label="Load full log"
                testId="load-log"
                run={async () =>
                  setFullLog(parseLogText(await getText(`/api/executions/${seg(props.id)}/logs`)))
                }
              />
            )}
          </span>
        }
      >
        {liveState.gap && !fullLog && (
          <p class="muted">Earlier events are no longer kept: load the full log.</p>
        )}
        <LogView lines={shownLines} testId="execution-log-lines" />
      </Section>
    </div>
  );
}

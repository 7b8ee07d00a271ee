/**
 * Executions: the live list, newest first, filtered by status and workflow (server side) and by
 * id (as typed). Pages of 200 load as the view nears the end; rows are virtualised, so 10,000
 * stay smooth. Live events update a row's status in place and add new runs at the top.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, getJson, postJson, seg, withQuery } from '../lib/api.ts';
import { ago, duration, FINAL_EXECUTION, ms } from '../lib/format.ts';
import { useNow, useResource } from '../lib/hooks.ts';
import { useLive } from '../lib/live.ts';
import { href } from '../lib/router.ts';
import type { Execution, Page, WorkflowSummary } from '../lib/types.ts';
import { Action, Badge, ErrorNote, Section } from '../components/common.tsx';
import { VirtualList } from '../components/virtual-list.tsx';

const STATUSES = [
  '',
  'pending',
  'running',
  'awaiting_approval',
  'rolling_back',
  'completed',
  'failed',
  'cancelled',
  'timed_out',
  'blocked',
];
const PAGE = 500;
/** The rows without a second copy of any id (a live row a later page also holds). */
export function uniqueById(rows: Execution[]): Execution[] {
  const seen = new Set<string>();
  return rows.filter((r) => !seen.has(r.id) && (seen.add(r.id), true));
}

const STATUS_OF: Record<string, string> = {
  'execution.queued': 'pending',
  'execution.started': 'running',
  'execution.completed': 'completed',
  'execution.failed': 'failed',
  'execution.cancelled': 'cancelled',
  'execution.timed_out': 'timed_out',
  'execution.blocked': 'blocked',
  'execution.awaiting_approval': 'awaiting_approval',
  'execution.rolling_back': 'rolling_back',
};

export function Executions(props: { query: URLSearchParams }) {
  const now = useNow();
  const [status, setStatus] = useState(props.query.get('status') ?? '');
  const [workflow, setWorkflow] = useState(props.query.get('workflow') ?? '');
  const [search, setSearch] = useState('');
  const [rows, setRows] = useState<Execution[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [found, setFound] = useState<Execution | undefined>(undefined);
  const loading = useRef(false);
  const generation = useRef(0);
  const workflows = useResource(
    () => getJson<Page<WorkflowSummary>>('/api/workflows?limit=500'),
    [],
  );

  const loadPage = (reset: boolean): void => {
    if (loading.current && !reset) return;
    // More only after a first page that named a next one (a failed first page leaves none).
    if (!reset && typeof cursor !== 'string') return;
    const gen = reset ? ++generation.current : generation.current;
    loading.current = true;
    getJson<Page<Execution>>(
      withQuery('/api/executions', {
        status,
        workflowId: workflow,
        limit: PAGE,
        cursor: reset ? undefined : (cursor ?? undefined),
      }),
    ).then(
      (page) => {
        if (gen !== generation.current) return;
        loading.current = false;
        setRows((old) => (reset ? page.items : uniqueById(old.concat(page.items))));
        setCursor(page.nextCursor ?? null);
        setError(undefined);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        loading.current = false;
        setError(err instanceof Error ? err : new Error(String(err)));
      },
    );
  };
  useEffect(() => loadPage(true), [status, workflow]);

  // An exact id that is not loaded (an old run): ask for it.
  useEffect(() => {
    setFound(undefined);
    const id = search.trim();
    if (!/^ex_[0-9A-Za-z]{20,}$/.test(id) || rows.some((r) => r.id === id)) return;
    getJson<Execution>(`/api/executions/${seg(id)}`).then(setFound, (err: unknown) => {
      if (!(err instanceof ApiError && err.status === 404)) setError(err as Error);
    });
  }, [search]);

  useLive((batch) => {
    const changes = new Map<string, { status: string; workflowId: string; ts: string }>();
    for (const e of batch) {
      const next = STATUS_OF[e.type];
      if (next && e.executionId)
        changes.set(e.executionId, { status: next, workflowId: e.workflowId ?? '', ts: e.ts });
    }
    if (changes.size === 0) return;
    // Pure (it may run more than once): the batch's changes are copied, never consumed.
    setRows((old) => {
      const unseen = new Map(changes);
      let touched = false;
      const out = old.map((r) => {
        const c = changes.get(r.id);
        if (!c) return r;
        unseen.delete(r.id);
        touched = true;
        return {
          ...r,
          status: c.status,
          startedAt: r.startedAt ?? (c.status === 'running' ? c.ts : null),
          finishedAt: FINAL_EXECUTION.has(c.status) ? c.ts : r.finishedAt,
        };
      });
      const added: Execution[] = [];
      for (const [id, c] of unseen) {
        if ((status && c.status !== status) || (workflow && c.workflowId !== workflow)) continue;
        added.unshift({
          id,
          workflowId: c.workflowId,
          status: c.status,
          createdAt: c.ts,
          startedAt: c.status === 'running' ? c.ts : null,
          finishedAt: null,
          error: null,
        });
      }
      if (!touched && added.length === 0) return old;
      const kept = status ? out.filter((r) => r.status === status) : out;
      return added.concat(kept);
    });
  });

  const term = search.trim().toLowerCase();
  const visible = term ? rows.filter((r) => r.id.toLowerCase().includes(term)) : rows;
  const shown = found ? [found, ...visible] : visible;

  return (
    <Section
      title="Executions"
      testId="executions"
      extra={
        <span class="muted" data-testid="executions-count">
          {shown.length} shown{cursor ? ', more on scroll' : ''}
        </span>
      }
    >
      <div class="filters">
        <select
          value={status}
          onChange={(e) => setStatus(e.currentTarget.value)}
          data-testid="filter-status"
          aria-label="status"
        >
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s || 'any status'}
            </option>
          ))}
        </select>
        <select
          value={workflow}
          onChange={(e) => setWorkflow(e.currentTarget.value)}
          data-testid="filter-workflow"
          aria-label="workflow"
        >
          <option value="">any workflow</option>
          {(workflows.data?.items ?? []).map((w) => (
            <option key={w.id} value={w.id}>
              {w.id}
            </option>
          ))}
        </select>
        <input
          type="search"
          placeholder="search by id"
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
          data-testid="filter-search"
        />
        {workflow && (
          <Action
            label={`Run ${workflow}`}
            kind="primary"
            testId="run-workflow"
            run={async () => {
              const r = await postJson<{ executionId: string }>(
                `/api/workflows/${seg(workflow)}/execute`,
                { input: {} },
              );
              if (r) location.hash = href('executions', r.executionId);
            }}
          />
        )}
      </div>
      <ErrorNote error={error} />
      {error && rows.length === 0 && (
        <button type="button" onClick={() => loadPage(true)}>
          Try again
        </button>
      )}
      <div class="row head exec-row">
        <span>id</span>
        <span>workflow</span>
        <span>status</span>
        <span>started</span>
        <span>duration</span>
      </div>
      <VirtualList
        items={shown}
        rowHeight={30}
        height="calc(100vh - 260px)"
        testId="executions-list"
        onNearEnd={() => !term && loadPage(false)}
        render={(x) => (
          <div class="row exec-row" data-execution={x.id}>
            <a href={href('executions', x.id)}>{x.id}</a>
            <span>{x.workflowId}</span>
            <Badge status={x.status} />
            <span class="muted">{ago(x.startedAt ?? x.createdAt, now)}</span>
            <span>
              {x.startedAt ? duration((ms(x.finishedAt) ?? now) - (ms(x.startedAt) ?? now)) : '–'}
            </span>
          </div>
        )}
      />
    </Section>
  );
}

/**
 * Overview: what needs a person first (sessions awaiting input, runs awaiting approval), then
 * the engines and their slots, the active runs, and the triggers by next fire.
 */
import { ApiError, getJson, withQuery } from '../lib/api.ts';
import { ago, duration, ms, runStatusAfter } from '../lib/format.ts';
import { useNow, useResource } from '../lib/hooks.ts';
import { href } from '../lib/router.ts';
import type { Approval, Execution, Health, Page, Session, Trigger } from '../lib/types.ts';
import { ApprovalBox } from '../components/approval.tsx';
import { Badge, ErrorNote, Section } from '../components/common.tsx';

export function Overview() {
  const now = useNow();
  const health = useResource(
    () => getJson<Health>('/health'),
    [],
    (e) => e.type === 'engine.status' || runStatusAfter(e.type) !== undefined,
  );
  const sessions = useResource(
    () => getJson<Page<Session>>(withQuery('/api/sessions', { limit: 500 })),
    [],
    (e) =>
      e.type === 'session.status' || e.type === 'session.activity' || e.type === 'session.deleted',
  );
  const runs = useResource(
    async () => {
      const [running, pending, approval, rollingBack] = await Promise.all(
        ['running', 'pending', 'awaiting_approval', 'rolling_back'].map((status) =>
          getJson<Page<Execution>>(withQuery('/api/executions', { status, limit: 100 })),
        ),
      );
      return {
        active: [
          ...(running?.items ?? []),
          ...(rollingBack?.items ?? []),
          ...(pending?.items ?? []),
        ],
        approval: approval?.items ?? [],
      };
    },
    [],
    (e) => runStatusAfter(e.type) !== undefined,
  );
  const approvals = useResource(
    // A server without approvals answers 404: nothing to decide there.
    () =>
      getJson<{ items: Approval[] }>('/api/approvals').catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return { items: [] };
        throw err;
      }),
    [],
    (e) =>
      e.type === 'step.awaiting_approval' ||
      e.type === 'step.approved' ||
      e.type === 'step.rejected' ||
      runStatusAfter(e.type) !== undefined,
  );
  const triggers = useResource(
    () => getJson<Page<Trigger>>('/api/triggers'),
    [],
    (e) => e.type.startsWith('trigger.'),
  );

  const waiting = (sessions.data?.items ?? [])
    .filter((s) => s.activity === 'awaiting_input')
    .sort((a, b) => (ms(a.awaitingSince) ?? 0) - (ms(b.awaitingSince) ?? 0));
  const waitingApprovals = approvals.data?.items ?? [];
  const byNextFire = [...(triggers.data?.items ?? [])].sort(
    (a, b) => (ms(a.nextFireAt) ?? Infinity) - (ms(b.nextFireAt) ?? Infinity),
  );

  return (
    <div class="grid">
      <Section title="Needs you" testId="needs-you">
        <ErrorNote error={approvals.error} />
        {waiting.length === 0 && waitingApprovals.length === 0 ? (
          <p class="muted">Nothing is waiting for a person.</p>
        ) : (
          <ul class="plain">
            {waiting.map((s) => (
              <li key={s.id}>
                <a href={href('sessions', s.id)}>{s.name}</a> awaits input since{' '}
                {ago(s.awaitingSince, now)}
              </li>
            ))}
            {waitingApprovals.map((a) => (
              <li key={`${a.executionId}/${a.stepId}`} class="approval-item">
                <a href={href('executions', a.executionId)}>{a.executionId}</a> ({a.workflowId})
                awaits approval since {ago(a.since, now)}
                <ApprovalBox approval={a} onDecided={approvals.reload} />
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Engines" testId="engines">
        <ErrorNote error={health.error} />
        {health.data && (
          <>
            <p class="muted">
              {health.data.node} · {health.data.mode} · up{' '}
              {duration(health.data.uptimeSeconds * 1000)} · {health.data.activeExecutions} active
              runs
            </p>
            <table>
              <thead>
                <tr>
                  <th>engine</th>
                  <th>status</th>
                  <th>slots</th>
                  <th>queued</th>
                </tr>
              </thead>
              <tbody>
                {health.data.engines.map((e) => (
                  <tr key={e.id}>
                    <td>{e.id}</td>
                    <td>
                      <Badge status={e.status} />
                    </td>
                    <td>
                      <span class="slots" title={`${e.busy} of ${e.slots} busy`}>
                        {Array.from({ length: e.slots }, (_, i) => (
                          <span key={i} class={i < e.busy ? 'slot busy' : 'slot'} />
                        ))}
                      </span>{' '}
                      {e.busy}/{e.slots}
                    </td>
                    <td>{e.queued}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Section>
      <Section title="Active runs" testId="active-runs">
        <ErrorNote error={runs.error} />
        {runs.data && runs.data.active.length === 0 && <p class="muted">No run is going.</p>}
        <ul class="plain">
          {(runs.data?.active ?? []).map((x) => (
            <li key={x.id}>
              <Badge status={x.status} /> <a href={href('executions', x.id)}>{x.id}</a>{' '}
              {x.workflowId} <span class="muted">{ago(x.startedAt ?? x.createdAt, now)}</span>
            </li>
          ))}
        </ul>
      </Section>
      <Section title="Triggers" testId="overview-triggers">
        <ErrorNote error={triggers.error} />
        {byNextFire.length === 0 && <p class="muted">No trigger declared.</p>}
        <ul class="plain">
          {byNextFire.slice(0, 20).map((t) => (
            <li key={t.id}>
              <Badge status={t.state} /> {t.id}{' '}
              <span class="muted">next {t.nextFireAt ? ago(t.nextFireAt, now) : '–'}</span>
            </li>
          ))}
        </ul>
      </Section>
    </div>
  );
}

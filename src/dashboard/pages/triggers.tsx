/** Triggers: state, schedule, next and last fire, counts; pause, resume and fire now. */
import { getJson, postJson, seg } from '../lib/api.ts';
import { ago } from '../lib/format.ts';
import { useNow, useResource } from '../lib/hooks.ts';
import { href } from '../lib/router.ts';
import type { Page, Trigger } from '../lib/types.ts';
import { Action, Badge, ErrorNote, Section } from '../components/common.tsx';

export function Triggers() {
  const now = useNow();
  const list = useResource(
    () => getJson<Page<Trigger>>('/api/triggers'),
    [],
    (e) => e.type.startsWith('trigger.'),
  );
  const act = (t: Trigger, verb: string) => async () => {
    const r = await postJson<Trigger>(
      `/api/triggers/${seg(t.id)}/${verb}`,
      verb === 'fire' ? { input: {} } : undefined,
    );
    if (r && 'state' in r)
      list.mutate((d) => ({
        ...d,
        items: d.items.map((x) => (x.id === t.id ? { ...x, ...r } : x)),
      }));
    list.reload();
  };
  return (
    <Section title="Triggers" testId="triggers">
      <ErrorNote error={list.error} />
      {list.data && list.data.items.length === 0 && <p class="muted">No trigger declared.</p>}
      <table>
        <thead>
          <tr>
            <th>trigger</th>
            <th>workflow</th>
            <th>state</th>
            <th>schedule</th>
            <th>next fire</th>
            <th>last fire</th>
            <th>fired / skipped / failed</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(list.data?.items ?? []).map((t) => (
            <tr key={t.id} data-trigger={t.id}>
              <td>{t.id}</td>
              <td>
                <a href={`${href('executions')}?workflow=${encodeURIComponent(t.workflowId)}`}>
                  {t.workflowId}
                </a>
              </td>
              <td>
                <Badge status={t.state} testId={`trigger-state-${t.id}`} />
                {t.lastError && <span class="error"> {t.lastError.message}</span>}
              </td>
              <td>{t.schedule ?? t.kind}</td>
              <td>{t.nextFireAt ? ago(t.nextFireAt, now) : '–'}</td>
              <td>{t.lastFireAt ? ago(t.lastFireAt, now) : '–'}</td>
              <td>
                {t.counts
                  ? `${t.counts['fired'] ?? 0} / ${t.counts['skipped'] ?? 0} / ${t.counts['failed'] ?? 0}`
                  : '–'}
              </td>
              <td class="actions">
                {t.state === 'paused' ? (
                  <Action label="Resume" testId={`trigger-resume-${t.id}`} run={act(t, 'resume')} />
                ) : (
                  <Action label="Pause" testId={`trigger-pause-${t.id}`} run={act(t, 'pause')} />
                )}
                <Action
                  label="Fire now"
                  kind="primary"
                  testId={`trigger-fire-${t.id}`}
                  run={act(t, 'fire')}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Section>
  );
}

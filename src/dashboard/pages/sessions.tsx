/**
 * Sessions: the list (those awaiting input first), and for the chosen one its status and
 * activity, live output (the buffered lines, then each new one, joined by their `logSeq`), an
 * input box and start / stop / restart.
 */
import { useEffect, useState } from 'preact/hooks';
import { getJson, postJson, seg, withQuery } from '../lib/api.ts';
import { ago, ms } from '../lib/format.ts';
import { useNow, useResource } from '../lib/hooks.ts';
import { useScopedStream } from '../lib/live.ts';
import { href } from '../lib/router.ts';
import type { Page, Session } from '../lib/types.ts';
import { Action, Badge, ErrorNote, Section } from '../components/common.tsx';
import { appendLines, LogView, type LogLine } from '../components/log-view.tsx';

const RANK: Record<string, number> = { awaiting_input: 0, busy: 1, idle: 2 };

export function Sessions(props: { selected: string | undefined }) {
  const now = useNow();
  const list = useResource(
    () => getJson<Page<Session>>(withQuery('/api/sessions', { limit: 500 })),
    [],
    (e) =>
      e.type === 'session.status' || e.type === 'session.activity' || e.type === 'session.deleted',
  );
  const items = [...(list.data?.items ?? [])].sort(
    (a, b) =>
      (RANK[a.activity ?? ''] ?? 3) - (RANK[b.activity ?? ''] ?? 3) ||
      (ms(a.awaitingSince) ?? 0) - (ms(b.awaitingSince) ?? 0) ||
      a.name.localeCompare(b.name),
  );
  const selected = items.find((s) => s.id === props.selected || s.name === props.selected);
  return (
    <div class="split">
      <Section title="Sessions" testId="sessions">
        <ErrorNote error={list.error} />
        {list.data && items.length === 0 && <p class="muted">No session.</p>}
        <ul class="plain selectable">
          {items.map((s) => (
            <li key={s.id} class={s.id === selected?.id ? 'current' : ''} data-session={s.name}>
              <a href={href('sessions', s.id)}>{s.name}</a> <Badge status={s.status} />{' '}
              {s.activity && <Badge status={s.activity} />}
              {s.activity === 'awaiting_input' && (
                <span class="muted"> {ago(s.awaitingSince, now)}</span>
              )}
            </li>
          ))}
        </ul>
      </Section>
      {selected ? (
        <SessionPanel key={selected.id} session={selected} reload={list.reload} />
      ) : (
        <Section title="Session">
          <p class="muted">Choose a session.</p>
        </Section>
      )}
    </div>
  );
}

function SessionPanel(props: { session: Session; reload: () => void }) {
  const s = props.session;
  const [lines, setLines] = useState<LogLine[]>([]);
  const [text, setText] = useState('');
  const [lastSeq, setLastSeq] = useState(0);
  const base = `/api/sessions/${seg(s.id)}`;

  useEffect(() => {
    getJson<{ items: { seq: number; stream: string; line: string }[] }>(
      `${base}/logs?format=json&limit=2000`,
    ).then((r) => {
      setLines((live) => {
        const buffered = r.items.map((l) => ({ key: l.seq, stream: l.stream, text: l.line }));
        const max = r.items.at(-1)?.seq ?? 0;
        setLastSeq((q) => Math.max(q, max));
        return appendLines(
          buffered,
          live.filter((l) => (l.key as number) > max),
        );
      });
    });
  }, [s.id]);

  useScopedStream(
    { sessionId: s.id },
    (batch) => {
      const more: LogLine[] = [];
      for (const e of batch) {
        if (
          (e.type === 'session.stdout' || e.type === 'session.stderr') &&
          typeof e['logSeq'] === 'number'
        ) {
          more.push({ key: e['logSeq'], stream: e.type.slice(8), text: e.line ?? '' });
        }
      }
      if (more.length === 0) return;
      setLines((old) => {
        const top = old.length > 0 ? (old[old.length - 1]?.key as number) : 0;
        return appendLines(
          old,
          more.filter((l) => (l.key as number) > top),
        );
      });
      setLastSeq((q) => Math.max(q, ...more.map((l) => l.key as number)));
    },
    [s.id],
  );

  const act = (verb: string) => async () => {
    await postJson(`${base}/${verb}`);
    props.reload();
  };
  return (
    <Section
      title={s.name}
      testId="session-panel"
      extra={
        <span>
          <Badge status={s.status} testId="session-status" />{' '}
          {s.activity && <Badge status={s.activity} testId="session-activity" />}
        </span>
      }
    >
      <p class="muted">
        {s.id} · pid {s.pid ?? '–'} · {s.restarts} restarts{' '}
        {s.exitCode !== null && `· exit ${s.exitCode}`} {s.lastError && `· ${s.lastError}`} ·{' '}
        {lastSeq} lines ·{' '}
        <a href={`${href('machines', 'session')}?actor=${encodeURIComponent(s.id)}`}>statechart</a>
      </p>
      <div class="actions">
        <Action
          label="Start"
          testId="session-start"
          run={act('start')}
          disabled={s.status === 'running'}
        />
        <Action
          label="Stop"
          testId="session-stop"
          kind="danger"
          run={act('stop')}
          disabled={s.status !== 'running'}
        />
        <Action label="Restart" testId="session-restart" run={act('restart')} />
      </div>
      <LogView lines={lines} height={380} testId="session-log-lines" />
      <form
        class="input-row"
        onSubmit={async (e) => {
          e.preventDefault();
          await postJson(`${base}/input`, { text });
          setText('');
        }}
      >
        <input
          type="text"
          placeholder={
            s.status === 'running' ? 'a line for its stdin' : 'start the session to send input'
          }
          value={text}
          disabled={s.status !== 'running'}
          onInput={(e) => setText(e.currentTarget.value)}
          data-testid="session-input"
        />
        <button
          type="submit"
          class="primary"
          disabled={s.status !== 'running'}
          data-testid="session-send"
        >
          Send
        </button>
      </form>
    </Section>
  );
}

/**
 * Machines: every statechart drawn from its own definition; choose a live actor of that
 * machine to light its active states, follow them as its events arrive and list its last
 * transitions. Live actors come from `GET /api/actors`: where the server has no such route,
 * the drawing stays and the live view says it is unavailable.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, getJson, seg, withQuery } from '../lib/api.ts';
import { time } from '../lib/format.ts';
import { useResource } from '../lib/hooks.ts';
import { useLive } from '../lib/live.ts';
import { href } from '../lib/router.ts';
import {
  activeStateIds,
  eventLabel,
  valueText,
  type StateNodeJson,
} from '../lib/statechart-model.ts';
import type { Actor, ActorDetail, LiveEvent, MachineSummary, Page } from '../lib/types.ts';
import { Badge, ErrorNote, Section } from '../components/common.tsx';
import { Statechart } from '../components/statechart.tsx';

interface MachineJson {
  name: string;
  description: string;
  definition: StateNodeJson;
}

/** Minimum time between two reads of the chosen actor, whatever arrives. */
const ACTOR_MIN_INTERVAL_MS = 1000;
/** After a quiet spell, an event is followed this soon (its neighbours join the same read). */
const ACTOR_SETTLE_MS = 100;
/** Actors whose events do not reach the stream (an engine at rest) are re-read this often. */
const ACTOR_POLL_MS = 2000;

/** Whether a live event may have moved this actor. */
export function concerns(e: LiveEvent, kind: string, id: string): boolean {
  if (e.source === `${kind}.${id}`) return true;
  for (const key of ['executionId', 'sessionId', 'triggerId', 'engineId'] as const) {
    const v = e[key];
    if (typeof v === 'string' && v !== '' && id.includes(v)) return true;
  }
  return false;
}

export function Machines(props: { name: string | undefined; actor: string | undefined }) {
  const list = useResource(() => getJson<{ items: MachineSummary[] }>('/api/machines'), []);
  const name = props.name ?? list.data?.items[0]?.name;
  return (
    <div class="machines">
      <nav class="tabs">
        {(list.data?.items ?? []).map((m) => (
          <a
            key={m.name}
            href={href('machines', m.name)}
            class={m.name === name ? 'current' : ''}
            data-testid={`machine-tab-${m.name}`}
            title={m.description}
          >
            {m.name}
          </a>
        ))}
      </nav>
      <ErrorNote error={list.error} />
      {name && <Machine key={name} name={name} actor={props.actor} />}
    </div>
  );
}

function Machine(props: { name: string; actor: string | undefined }) {
  const machine = useResource(
    () => getJson<MachineJson>(`/api/machines/${seg(props.name)}?format=json`),
    [props.name],
  );
  const kind = props.name;
  const actors = useResource(
    () => getJson<Page<Actor>>(withQuery('/api/actors', { kind })),
    [kind],
    (e) =>
      e.type.startsWith(`${kind}.`) &&
      /(started|queued|completed|failed|cancelled|status|deleted)$/.test(e.type),
  );
  const unavailable =
    actors.error instanceof ApiError &&
    (actors.error.status === 404 || actors.error.status === 405);
  const chosen = props.actor;
  const mine = (actors.data?.items ?? []).filter(
    (a) => a.machine === props.name || a.kind === kind,
  );
  return (
    <div class="split wide">
      <Section title={props.name} testId="machine">
        <p class="muted">{machine.data?.description}</p>
        <ErrorNote error={machine.error} />
        {machine.data && (
          <LiveChart
            name={props.name}
            definition={machine.data.definition}
            kind={kind}
            actorId={chosen}
          />
        )}
      </Section>
      <Section title="Live actors" testId="actors">
        {unavailable ? (
          <p class="muted" data-testid="actors-unavailable">
            Live actor view unavailable on this server.
          </p>
        ) : (
          <>
            <ErrorNote error={actors.error} />
            {actors.data && mine.length === 0 && <p class="muted">No live {kind} actor.</p>}
            <ul class="plain selectable" data-testid="actor-list">
              {mine.slice(0, 500).map((a) => (
                <li key={a.id} class={a.id === chosen ? 'current' : ''}>
                  <a
                    href={`${href('machines', props.name)}?actor=${encodeURIComponent(a.id)}`}
                    data-actor={a.id}
                  >
                    {a.id}
                  </a>{' '}
                  <Badge status={a.status} /> <code>{valueText(a.value)}</code>
                </li>
              ))}
            </ul>
          </>
        )}
      </Section>
    </div>
  );
}

function LiveChart(props: {
  name: string;
  definition: StateNodeJson;
  kind: string;
  actorId: string | undefined;
}) {
  const { kind, actorId } = props;
  const [detail, setDetail] = useState<ActorDetail | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    setDetail(undefined);
    setError(undefined);
  }, [actorId]);
  const lastRead = useRef(0);
  const scheduled = useRef(false);
  useEffect(() => {
    if (!actorId) return;
    let live = true;
    lastRead.current = Date.now();
    getJson<ActorDetail>(`/api/actors/${seg(kind)}/${seg(actorId)}`).then(
      (d) => live && (setDetail(d), setError(undefined)),
      (err: unknown) => live && setError(err instanceof Error ? err : new Error(String(err))),
    );
    const t = setTimeout(() => setTick((n) => n + 1), ACTOR_POLL_MS);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [kind, actorId, tick]);

  // An event of the actor brings a read soon after, but never sooner than a second after the
  // last one: a chatty actor is read once a second, a quiet one moves within ~100 ms.
  useLive((batch) => {
    if (!actorId || scheduled.current || !batch.some((e) => concerns(e, kind, actorId))) return;
    scheduled.current = true;
    const wait = Math.max(ACTOR_SETTLE_MS, lastRead.current + ACTOR_MIN_INTERVAL_MS - Date.now());
    setTimeout(() => {
      scheduled.current = false;
      setTick((n) => n + 1);
    }, wait);
  });

  const active = useMemo(
    () => (detail ? activeStateIds(props.definition.id, detail.value) : undefined),
    [detail, props.definition.id],
  );
  const last = detail?.transitions.at(-1);
  return (
    <>
      {actorId && (
        <p data-testid="actor-state">
          {error ? (
            <span class="error">
              {error instanceof ApiError && error.status === 404
                ? `Actor ${actorId} is gone (or live actors are unavailable).`
                : error.message}
            </span>
          ) : detail ? (
            <>
              <strong>{actorId}</strong> <Badge status={detail.status} /> in{' '}
              <code data-testid="actor-value">{valueText(detail.value)}</code> on {detail.node}
            </>
          ) : (
            <span class="muted">Reading {actorId}…</span>
          )}
        </p>
      )}
      <Statechart
        name={props.name}
        definition={props.definition}
        active={active}
        lastEvent={last ? eventLabel(last.event) : undefined}
      />
      {detail && (
        <div class="transitions" data-testid="transitions">
          <h3>Last transitions</h3>
          <table>
            <thead>
              <tr>
                <th>at</th>
                <th>event</th>
                <th>from</th>
                <th>to</th>
              </tr>
            </thead>
            <tbody>
              {[...detail.transitions].reverse().map((t, i) => (
                <tr key={`${t.at}${i}`}>
                  <td>{time(t.at)}</td>
                  <td>{eventLabel(t.event)}</td>
                  <td>{valueText(t.from)}</td>
                  <td>{valueText(t.to)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {detail.children.length > 0 && (
            <>
              <h3>Children</h3>
              <ul class="plain">
                {detail.children.map((c) => (
                  <li key={`${c.kind}.${c.id}`}>
                    <a href={`${href('machines', c.machine)}?actor=${encodeURIComponent(c.id)}`}>
                      {c.kind} {c.id}
                    </a>{' '}
                    <Badge status={c.status} /> <code>{valueText(c.value)}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          {detail.context !== undefined && (
            <details>
              <summary>Context</summary>
              <pre>{JSON.stringify(detail.context, null, 2)}</pre>
            </details>
          )}
        </div>
      )}
    </>
  );
}

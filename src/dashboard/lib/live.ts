/**
 * One EventSource on `/api/events` for the whole page (the token goes as `?token=`: browsers
 * cannot set headers on it). Subscribers get the events in batches, once per animation frame,
 * so a run printing thousands of lines costs one render per frame, not one per line. On a
 * dropped connection the browser reconnects with `Last-Event-ID`, and the server replays what
 * it still keeps.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { getToken } from './api.ts';
import type { LiveEvent } from './types.ts';

/** Every event type the server sends (named SSE events need one listener each). */
export const EVENT_TYPES = [
  'execution.queued',
  'execution.started',
  'execution.completed',
  'execution.failed',
  'execution.cancelled',
  'execution.timed_out',
  'execution.blocked',
  'execution.awaiting_approval',
  'execution.paused',
  'execution.resumed',
  'execution.rolling_back',
  'execution.progress',
  'step.started',
  'step.stdout',
  'step.stderr',
  'step.retrying',
  'step.completed',
  'step.failed',
  'step.timed_out',
  'step.cancelled',
  'step.interrupted',
  'step.skipped',
  'step.child',
  'step.awaiting_approval',
  'step.approved',
  'step.rejected',
  'step.rollback_started',
  'step.rolled_back',
  'step.rollback_failed',
  'step.artifacts',
  'circuit.opened',
  'circuit.closed',
  'engine.status',
  'engine.rejected',
  'trigger.fired',
  'trigger.queued',
  'trigger.skipped',
  'trigger.error',
  'trigger.rejected',
  'trigger.status',
  'session.status',
  'session.activity',
  'session.stdout',
  'session.stderr',
  'session.deleted',
  'monitor.dropped',
  'monitor.gap',
] as const;

export type ConnectionState = 'connecting' | 'live' | 'reconnecting';
type BatchListener = (events: LiveEvent[]) => void;

class LiveStream {
  #source: EventSource | undefined;
  #listeners = new Set<BatchListener>();
  #stateListeners = new Set<(s: ConnectionState) => void>();
  #pending: LiveEvent[] = [];
  #scheduled = false;
  state: ConnectionState = 'connecting';
  received = 0;

  subscribe(listener: BatchListener): () => void {
    this.#listeners.add(listener);
    this.#open();
    return () => this.#listeners.delete(listener);
  }

  onState(listener: (s: ConnectionState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  #lastSeq: number | undefined;
  #retry: ReturnType<typeof setTimeout> | undefined;

  /** Reopens with the current token (after a login). */
  restart(): void {
    this.stop();
    this.#open();
  }

  /** Closes the stream (signed out). */
  stop(): void {
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#source?.close();
    this.#source = undefined;
  }

  #setState(s: ConnectionState): void {
    this.state = s;
    for (const l of this.#stateListeners) l(s);
  }

  #open(): void {
    if (this.#source) return;
    const token = getToken();
    const q = new URLSearchParams();
    if (token) q.set('token', token);
    // A stream we reopen ourselves resumes where the last one stopped (the browser's own
    // reconnections send Last-Event-ID by themselves).
    if (this.#lastSeq !== undefined) q.set('lastEventId', String(this.#lastSeq));
    const query = q.toString();
    const source = new EventSource(query === '' ? '/api/events' : `/api/events?${query}`);
    this.#source = source;
    this.#setState('connecting');
    source.onopen = () => this.#setState('live');
    source.onerror = () => {
      this.#setState('reconnecting');
      // An HTTP error (a restarting server's 503) ends an EventSource for good: try again.
      if (source.readyState === EventSource.CLOSED && this.#source === source) {
        this.#source = undefined;
        this.#retry = setTimeout(() => {
          this.#retry = undefined;
          if (this.#listeners.size > 0) this.#open();
        }, 3000);
      }
    };
    const onMessage = (msg: MessageEvent<string>): void => {
      try {
        const event = JSON.parse(msg.data) as LiveEvent;
        if (typeof event.seq === 'number') this.#lastSeq = event.seq;
        this.#push(event);
      } catch {
        // a malformed message: ignored
      }
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, onMessage);
    source.onmessage = onMessage;
  }

  #push(event: LiveEvent): void {
    this.received++;
    this.#pending.push(event);
    if (this.#scheduled) return;
    this.#scheduled = true;
    const flush = (): void => {
      this.#scheduled = false;
      const batch = this.#pending;
      this.#pending = [];
      for (const l of this.#listeners) l(batch);
    };
    // rAF stops in a hidden tab: a timer keeps the batches bounded there.
    if (document.hidden) setTimeout(flush, 100);
    else requestAnimationFrame(flush);
  }
}

export const live = new LiveStream();

/** Runs `handler` with each batch of live events while the component is mounted. */
export function useLive(handler: BatchListener): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => live.subscribe((batch) => ref.current(batch)), []);
}

/** The stream's connection state. */
export function useConnectionState(): ConnectionState {
  const [state, setState] = useState<ConnectionState>(live.state);
  useEffect(() => live.onState(setState), []);
  return state;
}

/**
 * A stream of its own, filtered by the server (`executionId`, `sessionId`... and `lastEventId`
 * to replay what it keeps), for the lifetime of the component; batches as above.
 */
export function useScopedStream(
  query: Record<string, string> | undefined,
  handler: BatchListener,
  deps: unknown[],
  onOpen?: () => void,
): void {
  const ref = useRef(handler);
  ref.current = handler;
  const openRef = useRef(onOpen);
  openRef.current = onOpen;
  useEffect(() => {
    if (query === undefined) return;
    const token = getToken();
    const q = new URLSearchParams({ ...query, ...(token ? { token } : {}) });
    const source = new EventSource(`/api/events?${q.toString()}`);
    source.onopen = () => openRef.current?.();
    let pending: LiveEvent[] = [];
    let scheduled = false;
    const flush = (): void => {
      scheduled = false;
      const batch = pending;
      pending = [];
      ref.current(batch);
    };
    const onMessage = (msg: MessageEvent<string>): void => {
      try {
        pending.push(JSON.parse(msg.data) as LiveEvent);
      } catch {
        return;
      }
      if (scheduled) return;
      scheduled = true;
      if (document.hidden) setTimeout(flush, 100);
      else requestAnimationFrame(flush);
    };
    for (const type of EVENT_TYPES) source.addEventListener(type, onMessage);
    return () => source.close();
  }, deps);
}

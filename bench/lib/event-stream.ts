/**
 * A client of the server's event stream (`GET /api/events`, Server-Sent Events) for the
 * benchmarks that drive a server over HTTP: it keeps every event it receives, stamped with the
 * moment it arrived, and resolves waits for a number of matching events.
 * @module
 */

/** One event as the stream carries it, plus when this process received it. */
export interface StreamedEvent {
  type: string;
  seq: number;
  /** The server's stamp (ISO). */
  ts: string;
  executionId?: string;
  stepId?: string;
  attempt?: number;
  resumed?: boolean;
  line?: string;
  /** `performance.now()` of this process when the message was parsed. */
  receivedAt: number;
}

interface Waiter {
  match: (e: StreamedEvent) => boolean;
  count: number;
  found: StreamedEvent[];
  resolve: (events: StreamedEvent[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** An open event stream. */
export class EventStream {
  /** Every event received so far, in order. */
  readonly events: StreamedEvent[] = [];
  readonly #waiters = new Set<Waiter>();
  readonly #abort: AbortController;
  #closed = false;

  private constructor(abort: AbortController) {
    this.#abort = abort;
  }

  /**
   * Subscribes to `<baseUrl>/api/events?<query>` and resolves once the server has confirmed the
   * subscription (its `: connected` comment): nothing published after that is missed.
   */
  static async open(baseUrl: string, query: Record<string, string> = {}): Promise<EventStream> {
    const abort = new AbortController();
    const stream = new EventStream(abort);
    const res = await fetch(`${baseUrl}/api/events?${new URLSearchParams(query).toString()}`, {
      signal: abort.signal,
      headers: { accept: 'text/event-stream' },
    });
    if (!res.ok || !res.body) throw new Error(`GET /api/events → ${res.status}`);
    const body = res.body;
    await new Promise<void>((resolve, reject) => {
      stream.#read(body, resolve).catch((err: unknown) => {
        reject(err as Error);
        stream.#fail(err as Error);
      });
    });
    return stream;
  }

  /**
   * Resolves with the first `count` events (received already or to come) that `match`; rejects
   * after `timeoutMs` or if the stream ends first.
   */
  collect(
    match: (e: StreamedEvent) => boolean,
    count: number,
    timeoutMs: number,
  ): Promise<StreamedEvent[]> {
    const found = this.events.filter(match).slice(0, count);
    if (found.length >= count) return Promise.resolve(found);
    if (this.#closed) return Promise.reject(new Error('event stream closed'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        count,
        found,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          reject(new Error(`${found.length} of ${count} events within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  /** Closes the connection; pending waits are rejected. */
  close(): void {
    this.#fail(new Error('event stream closed'));
    this.#abort.abort();
  }

  async #read(body: ReadableStream<Uint8Array>, onConnected: () => void): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    let connected = false;
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!connected && message.startsWith(': connected')) {
            connected = true;
            onConnected();
          }
          const data = /^data: (.*)$/m.exec(message)?.[1];
          if (data !== undefined) this.#deliver(data);
        }
      }
    } catch (err) {
      if (!this.#closed) throw err;
    }
    if (!connected) throw new Error('event stream ended before the server confirmed it');
    this.#fail(new Error('event stream ended'));
  }

  #deliver(data: string): void {
    const event = { ...(JSON.parse(data) as object), receivedAt: performance.now() };
    this.events.push(event as StreamedEvent);
    for (const w of this.#waiters) {
      if (!w.match(event as StreamedEvent)) continue;
      w.found.push(event as StreamedEvent);
      if (w.found.length < w.count) continue;
      clearTimeout(w.timer);
      this.#waiters.delete(w);
      w.resolve(w.found);
    }
  }

  #fail(err: Error): void {
    this.#closed = true;
    for (const w of this.#waiters) {
      clearTimeout(w.timer);
      w.reject(err);
    }
    this.#waiters.clear();
  }
}

/**
 * A WebSocket test client on the `ws` package (installed with @hono/node-ws; it ships no types,
 * so the little used here is typed by hand): `openWs()` connects, collects every JSON message,
 * and `next(pred)` resolves with the first received message (past or future) that matches.
 * @module
 */
import WebSocketCtor from 'ws';

/** The part of `ws`'s WebSocket the tests use. */
export interface RawWs {
  send(data: string): void;
  close(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  readonly readyState: number;
  on(event: 'message', fn: (data: Buffer) => void): void;
  on(event: 'open', fn: () => void): void;
  on(event: 'close', fn: (code: number) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  on(event: 'unexpected-response', fn: (req: unknown, res: { statusCode: number }) => void): void;
}

/** A message as the server sends it. */
export type WsMessage = { type: string } & Record<string, unknown>;

/** A connected client. */
export interface WsClient extends AsyncDisposable {
  readonly raw: RawWs;
  /** Every message received so far, in order. */
  readonly messages: WsMessage[];
  send(msg: unknown): void;
  /** The first message (from `from` on) matching `pred`; waits up to `timeoutMs`. */
  next(pred: (m: WsMessage) => boolean, timeoutMs?: number, from?: number): Promise<WsMessage>;
  /** Resolves once the socket is closed. */
  closed: Promise<number>;
  close(): Promise<void>;
}

const Ctor = WebSocketCtor as new (
  url: string,
  opts?: { headers?: Record<string, string> },
) => RawWs;

/** Connects; rejects with the HTTP status when the upgrade is refused. */
export function openWs(url: string, headers?: Record<string, string>): Promise<WsClient> {
  const raw = new Ctor(url, headers ? { headers } : undefined);
  const messages: WsMessage[] = [];
  const waiters = new Set<() => void>();
  raw.on('message', (data) => {
    messages.push(JSON.parse(data.toString('utf8')) as WsMessage);
    for (const wake of [...waiters]) wake();
  });
  const closed = new Promise<number>((resolve) => raw.on('close', (code) => resolve(code)));
  const client: WsClient = {
    raw,
    messages,
    closed,
    send: (msg) => raw.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
    next(pred, timeoutMs = 10_000, from = 0) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = messages.slice(from).find(pred);
          if (!found) return false;
          waiters.delete(wake);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const wake = (): void => void check();
        const timer = setTimeout(() => {
          waiters.delete(wake);
          reject(new Error(`no matching message within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(wake);
        check();
      });
    },
    async close() {
      if (raw.readyState === 3) return;
      raw.close();
      const timer = setTimeout(() => raw.terminate(), 2000);
      await closed;
      clearTimeout(timer);
    },
    [Symbol.asyncDispose]: () => client.close(),
  };
  return new Promise((resolve, reject) => {
    raw.on('open', () => resolve(client));
    raw.on('error', reject);
    raw.on('unexpected-response', (_req, res) => {
      reject(new Error(`upgrade refused: ${res.statusCode}`));
      raw.terminate();
    });
  });
}

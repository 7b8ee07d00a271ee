/**
 * `STATOR_INSPECT=ws://…`: every tracked actor's inspection events streamed to a Stately
 * inspector, for people who use Stately's tools. @statelyai/inspect turns XState's inspection
 * events into its wire events; the socket is ours (the library's own adapter retries with a
 * timer nobody can cancel, which would keep a stopped service alive). Contexts are sent as the
 * live actor API summarises them, events wait in a bounded backlog while the inspector is
 * away, a lost connection is retried every few seconds, and nothing the inspector does can
 * fail the service. The library is loaded only when configured.
 * @module
 */
import type { Logger } from 'pino';
import type { MachineContext } from 'xstate';
import WebSocket from 'ws';
import { unrefTimer, type Clock, type TimerHandle } from '../../clock.ts';
import type { ActorDirectory } from './actor-directory.ts';
import { summarize } from './context-summary.ts';

/** Events held while the inspector is not connected; older ones are dropped. */
export const INSPECT_BACKLOG = 1000;
/** Wait before connecting again after the connection failed or closed. */
const RETRY_MS = 3000;

/** Starts streaming to `url`; resolves with the function that stops it. */
export async function connectStatelyInspector(
  url: string,
  directory: ActorDirectory,
  deps: { logger: Logger; clock: Clock },
): Promise<() => void> {
  const { createInspector } = await import('@statelyai/inspect');
  const { logger, clock } = deps;
  const backlog: string[] = [];
  let socket: WebSocket | undefined;
  let retry: TimerHandle | undefined;
  let stopped = false;
  let warned = false;

  const connect = () => {
    if (stopped) return;
    const ws = new WebSocket(url);
    socket = ws;
    ws.on('open', () => {
      warned = false;
      for (const text of backlog.splice(0)) ws.send(text);
    });
    ws.on('error', (err) => {
      if (!warned) logger.warn({ url, err: err.message }, 'inspector unreachable; retrying');
      warned = true;
    });
    ws.on('close', () => {
      if (socket === ws) socket = undefined;
      if (!stopped) retry = unrefTimer(clock.setTimeout(connect, RETRY_MS));
    });
  };

  const inspector = createInspector(
    {
      send(event) {
        const text = JSON.stringify(event);
        if (socket?.readyState === WebSocket.OPEN) socket.send(text);
        else {
          backlog.push(text);
          if (backlog.length > INSPECT_BACKLOG) backlog.shift();
        }
      },
    },
    { sanitizeContext: (context) => summarize(context) as MachineContext },
  );
  connect();
  const unforward = directory.forward((event) => inspector.inspect.next?.(event));
  logger.info({ url }, 'streaming actor inspection events');
  return () => {
    stopped = true;
    unforward();
    if (retry !== undefined) clock.clearTimeout(retry);
    socket?.terminate();
  };
}

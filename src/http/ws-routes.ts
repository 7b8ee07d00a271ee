/**
 * `GET /ws`: the monitor over WebSocket (@hono/node-ws; protocol in ws/ws-protocol.ts).
 * The upgrade passes through the app's middleware like any request, so with an API token the
 * socket needs `Authorization: Bearer` or, since browsers cannot set headers on a WebSocket,
 * `?token=`. Mounting keeps the app's upgrade hook aside; `startHttpServer()` attaches it to
 * the Node server it creates (`attachWebSockets`) and closes the sockets when it closes.
 * @module
 */
import type { Server } from 'node:http';
import type { Hono } from 'hono';
import { createNodeWebSocket, type NodeWebSocket } from '@hono/node-ws';
import type { Logger } from 'pino';
import type { Stator } from '../runtime/index.ts';
import { InvalidArgumentError, MalformedPayloadError } from '../errors.ts';
import { errorResponse } from './error-response.ts';
import { WsSession, type WsSocket } from './ws/index.ts';

/** Default of `WebSocketRouteOptions.maxBufferedBytes`: 1 MiB. */
export const DEFAULT_WS_MAX_BUFFERED_BYTES = 1024 * 1024;
/** Default of `WebSocketRouteOptions.maxSubscriptions`. */
export const DEFAULT_WS_MAX_SUBSCRIPTIONS = 32;
/** Default of `WebSocketRouteOptions.maxPayloadBytes`. */
export const DEFAULT_WS_MAX_PAYLOAD_BYTES = 64 * 1024;

/** Settings of the WebSocket route. */
export interface WebSocketRouteOptions {
  /** Events buffered per subscription in the monitor before it loses them. */
  bufferSize: number;
  /** Bytes a socket may hold unsent before its subscriptions wait. @default 1048576 */
  maxBufferedBytes?: number;
  /** Subscriptions one socket may hold. @default 32 */
  maxSubscriptions?: number;
  /** Largest client message. @default 65536 */
  maxPayloadBytes?: number;
  logger?: Logger | undefined;
}

/** The app's upgrade hooks, kept by app so the server can attach them (no global state). */
const upgraders = new WeakMap<Hono, NodeWebSocket>();

/** Mounts `GET /ws` on `app`. */
export function mountWebSocketRoute(app: Hono, stator: Stator, opts: WebSocketRouteOptions): void {
  const nodeWs = createNodeWebSocket({ app });
  (nodeWs.wss.options as { maxPayload: number }).maxPayload =
    opts.maxPayloadBytes ?? DEFAULT_WS_MAX_PAYLOAD_BYTES;
  upgraders.set(app, nodeWs);
  const sessionOptions = {
    bufferSize: opts.bufferSize,
    maxBufferedBytes: opts.maxBufferedBytes ?? DEFAULT_WS_MAX_BUFFERED_BYTES,
    maxSubscriptions: opts.maxSubscriptions ?? DEFAULT_WS_MAX_SUBSCRIPTIONS,
    logger: opts.logger,
  };

  app.get(
    '/ws',
    nodeWs.upgradeWebSocket(() => {
      let session: WsSession | undefined;
      return {
        onOpen(_event, ws) {
          session = new WsSession(stator, ws.raw as WsSocket, sessionOptions);
          session.open();
        },
        onMessage(event, _ws) {
          if (typeof event.data === 'string') session?.handle(event.data);
          else session?.error(new MalformedPayloadError('binary messages are not accepted'));
        },
        onClose() {
          session?.close();
        },
        onError(event) {
          opts.logger?.debug(
            { err: (event as Event & { error?: unknown }).error },
            'websocket error',
          );
          session?.close();
        },
      };
    }),
  );
  // A plain GET (no upgrade header) falls through the upgrade middleware.
  app.get('/ws', (c) =>
    errorResponse(c, new InvalidArgumentError('Upgrade Required: open a WebSocket'), 426),
  );
}

/** Open sockets of an attached app, for shutdown. */
export interface AttachedWebSockets {
  /** Starts the closing handshake of every socket (1001 going away). */
  close(): void;
  /** Cuts the sockets that did not finish closing. */
  terminate(): void;
}

interface RawClient {
  close(code: number, reason: string): void;
  terminate(): void;
}

/** Attaches the app's WebSocket upgrades to a Node server (undefined when it has none). */
export function attachWebSockets(app: Hono, server: Server): AttachedWebSockets | undefined {
  const nodeWs = upgraders.get(app);
  if (!nodeWs) return undefined;
  nodeWs.injectWebSocket(server);
  const clients = (): Set<RawClient> => nodeWs.wss.clients as Set<RawClient>;
  return {
    close: () => {
      for (const client of clients()) client.close(1001, 'server closing');
    },
    terminate: () => {
      for (const client of clients()) client.terminate();
    },
  };
}

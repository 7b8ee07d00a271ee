/**
 * Serves a Hono app on Node with @hono/node-server. Port 0 picks a free port; `close()` stops
 * accepting, lets requests in flight finish within a grace period, then cuts the rest
 * (long-lived SSE streams included). WebSocket upgrades of the app (ws-routes.ts) are attached
 * to the server and their sockets closed with it.
 *
 * Requests refused before the app sees them get the app's structured errors too
 * (client-errors.ts): headers past `maxHeaderBytes` a 431 `input_bounds`, a request Node cannot
 * parse a 400, one the adaptor cannot read (bad Host header) a 400.
 *
 * HEAD is answered here from the app's GET answer (`serverFetch`): Hono answers HEAD by
 * wrapping its GET Response, which fails (500) under @hono/node-server's lightweight Response
 * for answers made without init (`c.text(text)`), and leaves an event stream open.
 * @module
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import { UnavailableError } from '../errors.ts';
import { adaptorErrorResponse, clientErrorHandler, requireHost } from './client-errors.ts';
import { attachWebSockets, type AttachedWebSockets } from './ws-routes.ts';

/** Default of `HttpServerOptions.host`: loopback only. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';
/** Default of `HttpServerOptions.closeGraceMs`. */
export const DEFAULT_CLOSE_GRACE_MS = 1000;
/** Default of `HttpServerOptions.maxHeaderBytes`: Node's own default, 16 KiB. */
export const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;

/** Options of `startHttpServer()`. */
export interface HttpServerOptions {
  app: Hono;
  /** Interface to bind. @default "127.0.0.1" */
  host?: string;
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** Time requests in flight get to finish on close before their sockets are cut. @default 1000 */
  closeGraceMs?: number;
  /** Largest request head (request line and headers); past it, 431 `input_bounds`. @default 16384 */
  maxHeaderBytes?: number;
}

/** A listening server. */
export interface HttpServerHandle {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Stops the server; idempotent. */
  close(): Promise<void>;
}

/** The app's fetch as the server calls it: HEAD answered from GET, without the body. */
export function serverFetch(app: Hono): (request: Request, env?: unknown) => Promise<Response> {
  return async function fetchWithHead(request, env) {
    if (request.method !== 'HEAD') return app.fetch(request, env);
    const get = new Request(request.url, {
      method: 'GET',
      headers: request.headers,
      signal: request.signal,
    });
    const res = await app.fetch(get, env);
    await res.body?.cancel().catch(() => {});
    return new Response(null, {
      status: res.status,
      statusText: res.statusText,
      headers: res.headers,
    });
  };
}

/** Starts listening and resolves once the port is bound; UnavailableError when it cannot bind. */
export function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const host = options.host ?? DEFAULT_HTTP_HOST;
  const graceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  const maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  return new Promise((resolve, reject) => {
    const listener = getRequestListener(serverFetch(options.app), {
      hostname: host,
      errorHandler: adaptorErrorResponse,
    });
    // Host is checked by requireHost, which answers with a structured error (Node's is empty).
    const server = createServer(
      { maxHeaderSize: maxHeaderBytes, requireHostHeader: false },
      requireHost(listener),
    );
    // A client that half-closes after sending still gets its answer: by default Node aborts the
    // request and ends the socket at the client's FIN, dropping an answer written after that.
    (server as typeof server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    server.on('clientError', clientErrorHandler(maxHeaderBytes));
    server.listen(options.port ?? 0, host, () => {
      server.off('error', onListenError);
      const info = server.address() as AddressInfo;
      const sockets = attachWebSockets(options.app, server);
      const urlHost = host.includes(':') ? `[${host}]` : host;
      let closing: Promise<void> | undefined;
      resolve({
        url: `http://${urlHost}:${info.port}`,
        port: info.port,
        host,
        close: () => (closing ??= closeServer(server, graceMs, sockets)),
      });
    });
    function onListenError(err: Error): void {
      reject(
        new UnavailableError(`cannot listen on ${host}:${options.port ?? 0}: ${err.message}`, err),
      );
    }
    server.once('error', onListenError);
  });
}

function closeServer(
  server: Server,
  graceMs: number,
  sockets: AttachedWebSockets | undefined,
): Promise<void> {
  return new Promise((resolve) => {
    sockets?.close();
    const timer = setTimeout(() => {
      server.closeAllConnections();
      sockets?.terminate();
    }, graceMs);
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}

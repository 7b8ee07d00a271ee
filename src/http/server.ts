/**
 * Serves a Hono app on Node with @hono/node-server. Port 0 picks a free port; `close()` stops
 * accepting, lets requests in flight finish within a grace period, then cuts the rest
 * (long-lived SSE streams included). WebSocket upgrades of the app (ws-routes.ts) are attached
 * to the server and their sockets closed with it.
 * @module
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { UnavailableError } from '../errors.ts';
import { attachWebSockets, type AttachedWebSockets } from './ws-routes.ts';

/** Default of `HttpServerOptions.host`: loopback only. */
export const DEFAULT_HTTP_HOST = '127.0.0.1';
/** Default of `HttpServerOptions.closeGraceMs`. */
export const DEFAULT_CLOSE_GRACE_MS = 1000;

/** Options of `startHttpServer()`. */
export interface HttpServerOptions {
  app: Hono;
  /** Interface to bind. @default "127.0.0.1" */
  host?: string;
  /** Port; 0 picks a free one. @default 0 */
  port?: number;
  /** Time requests in flight get to finish on close before their sockets are cut. @default 1000 */
  closeGraceMs?: number;
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

/** Starts listening and resolves once the port is bound; UnavailableError when it cannot bind. */
export function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const host = options.host ?? DEFAULT_HTTP_HOST;
  const graceMs = options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS;
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: options.app.fetch, hostname: host, port: options.port ?? 0 },
      (info: AddressInfo) => {
        server.off('error', onListenError);
        const sockets = attachWebSockets(options.app, server as Server);
        const urlHost = host.includes(':') ? `[${host}]` : host;
        let closing: Promise<void> | undefined;
        resolve({
          url: `http://${urlHost}:${info.port}`,
          port: info.port,
          host,
          close: () => (closing ??= closeServer(server as Server, graceMs, sockets)),
        });
      },
    );
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

/**
 * The HTTP front door: a Hono app whose routes call the command layer, and a Node server for it.
 *
 * Exports: `createHttpApp`, `HttpAppOptions`, `ResolvedHttpAppOptions`, `resolveHttpAppOptions`,
 * `DEFAULT_BODY_LIMIT_BYTES`, `DEFAULT_SSE_HEARTBEAT_MS`, `DEFAULT_SSE_BUFFER_SIZE`,
 * `startHttpServer`, `HttpServerOptions`, `HttpServerHandle`, `DEFAULT_HTTP_HOST`,
 * `DEFAULT_CLOSE_GRACE_MS`, `DEFAULT_MAX_HEADER_BYTES`, `errorResponse`, `tokensEqual`, `bearerToken`,
 * `REPLAYED_HEADER`, `PROMETHEUS_CONTENT_TYPE`.
 * Monitor streams: `mountWebSocketRoute`, `attachWebSockets`, `WebSocketRouteOptions`,
 * `AttachedWebSockets`, `DEFAULT_WS_MAX_BUFFERED_BYTES`, `DEFAULT_WS_MAX_SUBSCRIPTIONS`,
 * `DEFAULT_WS_MAX_PAYLOAD_BYTES`, `PacedWriter`, `DEFAULT_PACED_HIGH_WATER`, `parseLastEventId`,
 * `BearerAuthOptions`.
 * @module
 */
export { createHttpApp } from './app.ts';
export {
  resolveHttpAppOptions,
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_SSE_HEARTBEAT_MS,
  DEFAULT_SSE_BUFFER_SIZE,
  type HttpAppOptions,
  type ResolvedHttpAppOptions,
} from './options.ts';
export {
  startHttpServer,
  DEFAULT_HTTP_HOST,
  DEFAULT_CLOSE_GRACE_MS,
  DEFAULT_MAX_HEADER_BYTES,
  type HttpServerOptions,
  type HttpServerHandle,
} from './server.ts';
export { errorResponse } from './error-response.ts';
export { tokensEqual, bearerToken } from './auth.ts';
export { REPLAYED_HEADER } from './hook-routes.ts';
export { PROMETHEUS_CONTENT_TYPE } from './metrics-routes.ts';
export {
  mountWebSocketRoute,
  attachWebSockets,
  DEFAULT_WS_MAX_BUFFERED_BYTES,
  DEFAULT_WS_MAX_SUBSCRIPTIONS,
  DEFAULT_WS_MAX_PAYLOAD_BYTES,
  type WebSocketRouteOptions,
  type AttachedWebSockets,
} from './ws-routes.ts';
export { PacedWriter, DEFAULT_PACED_HIGH_WATER } from './paced-writer.ts';
export { parseLastEventId } from './event-routes.ts';
export type { BearerAuthOptions } from './auth.ts';

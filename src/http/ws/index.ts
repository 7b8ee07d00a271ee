/**
 * The WebSocket protocol of `GET /ws` and the server side of one client, independent of the
 * socket library; `../ws-routes.ts` binds them to @hono/node-ws.
 * Exports: parseClientMessage, filterKey, WS_PROTOCOL_VERSION, ClientMessage, ServerMessage,
 * WsSession, WsSessionOptions, WsSocket.
 * @module
 */
export {
  parseClientMessage,
  filterKey,
  WS_PROTOCOL_VERSION,
  type ClientMessage,
  type ServerMessage,
} from './ws-protocol.ts';
export { WsSession, type WsSessionOptions, type WsSocket } from './ws-session.ts';

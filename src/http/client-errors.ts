/**
 * Structured answers for what fails before the app sees a request. Node's HTTP parser refuses
 * a request (headers past `maxHeaderSize`, a bad request line, a timeout) on the server's
 * `clientError` event, where only the socket is left: `clientErrorHandler` writes the same
 * `{"error": {code, message, details, recoverable}}` body as the app, with 431 `input_bounds`
 * (`details.bound: "header_bytes"`) for oversized headers, 408 `timeout`, 400 otherwise. The
 * Hono adaptor refuses requests it cannot turn into a `Request` (a bad Host header):
 * `adaptorErrorResponse` answers those. An HTTP/1.1 request without a Host header (which Node
 * would refuse with an empty 400) gets `requireHost`'s structured 400.
 * @module
 */
import type { Duplex } from 'node:stream';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  InputBoundsError,
  InvalidArgumentError,
  TimeoutError,
  toStatorError,
  toWire,
  type StatorError,
} from '../errors.ts';

/** What Node passes to `clientError` listeners. */
export type ClientError = Error & { code?: string };

/** The status and error for a request Node's parser refused. */
export function classifyClientError(
  err: ClientError,
  maxHeaderBytes: number,
): { status: number; error: StatorError } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        error: new InputBoundsError(
          'header_bytes',
          maxHeaderBytes,
          `request headers exceed ${maxHeaderBytes} bytes`,
        ),
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, error: new TimeoutError('request not received in time') };
    default:
      return {
        status: 400,
        error: new InvalidArgumentError(`malformed HTTP request: ${err.message}`, {
          reason: err.code ?? 'unknown',
        }),
      };
  }
}

/** A complete HTTP/1.1 response carrying a structured error, closing the connection. */
export function rawErrorResponse(status: number, error: StatorError): string {
  const body = JSON.stringify({ error: toWire(error) });
  return [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=UTF-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** The server's `clientError` listener: a structured answer when the socket can still take one. */
export function clientErrorHandler(
  maxHeaderBytes: number,
): (err: ClientError, socket: Duplex) => void {
  return function onClientError(err, socket) {
    // Like Node's own handler: no answer when a response is already on its way on this socket.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const { status, error } = classifyClientError(err, maxHeaderBytes);
    socket.end(rawErrorResponse(status, error));
  };
}

/** Wraps a request listener: an HTTP/1.1 request without Host gets a structured 400. */
export function requireHost(
  listener: (req: IncomingMessage, res: ServerResponse) => unknown,
): (req: IncomingMessage, res: ServerResponse) => void {
  return function requireHostHeader(req, res) {
    if (req.headers.host !== undefined || req.httpVersion !== '1.1') {
      void listener(req, res);
      return;
    }
    const error = new InvalidArgumentError('malformed HTTP request: missing Host header', {
      reason: 'host',
    });
    const body = JSON.stringify({ error: toWire(error) });
    res.writeHead(400, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    res.end(body);
  };
}

/** The adaptor's error handler: 400 for a request it could not read, 500 otherwise. */
export function adaptorErrorResponse(err: unknown): Response {
  const isRequestError = err instanceof Error && err.name === 'RequestError';
  const error = isRequestError
    ? new InvalidArgumentError(`malformed HTTP request: ${err.message}`, { reason: 'request' })
    : toStatorError(err);
  return new Response(JSON.stringify({ error: toWire(error) }), {
    status: isRequestError ? 400 : 500,
    headers: { 'content-type': 'application/json; charset=UTF-8' },
  });
}

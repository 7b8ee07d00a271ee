/**
 * HTTP/1.1 by hand over a TCP socket, for what `fetch` refuses to send: unknown methods,
 * malformed request lines, oversized or odd headers, a bad Host. `rawRequest()` writes the
 * bytes, reads until the server closes the connection (or a timeout), and parses the first
 * response (status, headers, body with Content-Length or chunked).
 * @module
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import type { Answer } from './responses.ts';

/** Sends `request` to `port` and resolves with the parsed response. */
export function rawRequest(
  port: number,
  request: string | Buffer,
  timeoutMs = 5000,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {}); // a reset after the answer is fine; "close" decides
    socket.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (err) {
        reject(err as Error);
      }
    });
    socket.end(request);
  });
}

/** Parses the first HTTP/1.1 response of `raw`. */
export function parseResponse(raw: Buffer): Answer {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) throw new Error(`no response head in ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  if (!Number.isInteger(status)) throw new Error(`bad status line ${statusLine}`);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = raw.subarray(end + 4);
  const length = headers.get('content-length');
  if (length !== undefined) body = body.subarray(0, Number(length));
  else if (headers.get('transfer-encoding')?.toLowerCase() === 'chunked') body = dechunk(body);
  return { status, contentType: headers.get('content-type') ?? '', body: body.toString('utf8') };
}

function dechunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol < 0) break;
    const size = parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (!(size > 0)) break;
    parts.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
const visible = fc
  .string({ unit: 'grapheme-ascii', maxLength: 40 })
  .map((s) => s.replace(/[\r\n]/g, ''));

/** Raw requests that `fetch` would never send. */
export const rawRequestArb: fc.Arbitrary<string> = fc.oneof(
  // Any method token, known or not, on a real path.
  fc
    .tuple(token, fc.constantFrom('/health', '/api/workflows', '/hooks/x', '/ws', '/nope'))
    .map(([m, p]) => `${m} ${p} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`),
  // Headers around and past the 16 KiB bound, one or many.
  fc
    .tuple(fc.integer({ min: 15_000, max: 40_000 }), fc.integer({ min: 1, max: 20 }))
    .map(([size, count]) => {
      const each = Math.ceil(size / count);
      const headers = Array.from({ length: count }, (_, i) => `X-Big-${i}: ${'a'.repeat(each)}`);
      return `GET /health HTTP/1.1\r\nHost: localhost\r\n${headers.join('\r\n')}\r\nConnection: close\r\n\r\n`;
    }),
  // Malformed request lines, header lines and hosts.
  fc
    .tuple(
      fc.constantFrom(
        'GET /health HTTP/9.9',
        'GET  HTTP/1.1',
        'GET /health',
        'GET /he alth HTTP/1.1',
        '/health HTTP/1.1',
        'GET \\health HTTP/1.1',
        'GET http://[::1/health HTTP/1.1',
        'GET /health HTTP/1.0',
      ),
      fc.constantFrom(
        'Host: localhost',
        'Host: bad host',
        'Host: a@b',
        'Host:',
        'Host: localhost\r\nHost: other',
        'Host: localhost\r\nBad Header: x',
        'Host: localhost\r\n: empty',
        'Host: localhost\r\nContent-Length: -1',
        'Host: localhost\r\nContent-Length: 5\r\nTransfer-Encoding: chunked',
        '',
      ),
      visible,
    )
    .map(
      ([line, host, extra]) =>
        `${line}\r\n${host}\r\nX-Extra: ${extra}\r\nConnection: close\r\n\r\n`,
    ),
  // Bodies that lie about their length or their chunks.
  fc
    .tuple(fc.constantFrom('/api/workflows', '/hooks/x', '/api/sessions'), visible)
    .map(
      ([path, text]) =>
        `POST ${path} HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n\r\nzz\r\n${text}\r\n0\r\n\r\n`,
    ),
);

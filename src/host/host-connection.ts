/**
 * The client's end of one host socket: hello, requests matched to replies by id, events handed
 * on, every message parsed with zod. When the socket closes (host gone, refused, garbage) every
 * pending request fails with an UnavailableError (recoverable: connect again) and `closed`
 * resolves with it; the connection is never reopened: the caller connects anew and re-attaches.
 * @module
 */
import { connect, type Socket } from 'node:net';
import type { z } from 'zod';
import {
  ConflictError,
  InvalidArgumentError,
  StatorError,
  UnavailableError,
  type WireError,
} from '../errors.ts';
import { FrameReader } from './line-frames.js';
import {
  encodeMessage,
  hostMessageSchema,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
} from './protocol.js';
import type { HostEvent, HostHello, HostMessage, HostRequest } from './protocol-types.ts';

/** A request without its id (the connection numbers them). */
export type HostRequestBody = HostRequest extends infer R
  ? R extends HostRequest
    ? Omit<R, 'id'>
    : never
  : never;

interface Pending {
  schema: z.ZodType<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: StatorError) => void;
}

/** An open, greeted connection to a host. */
export class HostConnection {
  readonly hello: HostHello;
  /** Resolves with the reason once the connection is closed. */
  readonly closed: Promise<StatorError>;
  /** Receives every pushed event. */
  onEvent: (event: HostEvent) => void = () => undefined;
  readonly #socket: Socket;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #cause: StatorError | undefined;
  #isClosed = false;

  private constructor(socket: Socket, hello: HostHello, closed: Promise<StatorError>) {
    this.#socket = socket;
    this.hello = hello;
    this.closed = closed;
  }

  /**
   * Connects to `socketPath` and exchanges hellos. Rejects with the socket error (ENOENT,
   * ECONNREFUSED: no host listens) or with the host's refusal (e.g. another protocol version).
   */
  static open(socketPath: string, clientName: string, timeoutMs: number): Promise<HostConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(socketPath);
      let conn: HostConnection | undefined;
      let settleClosed!: (err: StatorError) => void;
      const closed = new Promise<StatorError>((r) => (settleClosed = r));
      const timer = setTimeout(() => {
        socket.destroy(
          new UnavailableError(`no hello from the process host within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      const fail = (err: StatorError) => {
        if (conn !== undefined) conn.#fail(err);
        else reject(err);
        socket.destroy();
      };
      const reader = new FrameReader(
        MAX_MESSAGE_BYTES,
        (frame) => {
          const message = parseMessage(frame);
          if (message instanceof StatorError) return fail(message);
          if (conn !== undefined) return conn.#receive(message);
          clearTimeout(timer);
          if (message.type === 'error') return fail(fromWire(message.error));
          if (message.type !== 'hello' || message.version !== PROTOCOL_VERSION) {
            return fail(protocolError(`expected a hello of version ${PROTOCOL_VERSION}`));
          }
          conn = new HostConnection(socket, message, closed);
          resolve(conn);
        },
        (bytes) => fail(protocolError(`the host sent a message of ${bytes} bytes`)),
      );
      socket.once('connect', () => {
        socket.write(
          encodeMessage({ type: 'hello', version: PROTOCOL_VERSION, client: clientName }),
        );
      });
      socket.on('data', (chunk: Buffer) => reader.push(chunk));
      socket.on('error', (err) => {
        clearTimeout(timer);
        if (conn === undefined) reject(err);
        else
          conn.#cause ??= new UnavailableError(
            `process host connection failed: ${err.message}`,
            err,
          );
      });
      socket.once('close', () => {
        clearTimeout(timer);
        if (conn === undefined) {
          reject(new UnavailableError('the process host closed the connection during the hello'));
          return;
        }
        conn.#closeAll(settleClosed);
      });
    });
  }

  /** Sends a request; resolves with its result parsed by `schema`, rejects with its error. */
  request<T>(body: HostRequestBody, schema: z.ZodType<T>): Promise<T> {
    if (this.#isClosed) {
      return Promise.reject(this.#cause ?? new UnavailableError('process host connection closed'));
    }
    const id = this.#nextId++;
    const line = encodeMessage({ ...body, id });
    if (Buffer.byteLength(line) > MAX_MESSAGE_BYTES) {
      return Promise.reject(
        new InvalidArgumentError(`request of more than ${MAX_MESSAGE_BYTES} bytes`, {
          op: body.op,
        }),
      );
    }
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { schema, resolve: resolve as (v: unknown) => void, reject });
      this.#socket.write(line);
    });
  }

  /** Closes the connection; the host keeps its processes. */
  close(): void {
    this.#cause ??= new UnavailableError('process host connection closed by the client');
    this.#socket.end();
  }

  #receive(message: HostMessage): void {
    if (message.type === 'reply') {
      const p = this.#pending.get(message.id);
      if (p === undefined) return;
      this.#pending.delete(message.id);
      if (!message.ok) return p.reject(fromWire(message.error));
      const parsed = p.schema.safeParse(message.result);
      if (parsed.success) p.resolve(parsed.data);
      else p.reject(protocolError(`bad result: ${parsed.error.message}`));
    } else if (message.type === 'error') {
      this.#fail(fromWire(message.error));
    } else if (message.type !== 'hello') {
      this.onEvent(message);
    }
  }

  #fail(err: StatorError): void {
    this.#cause ??= err;
    this.#socket.destroy();
  }

  #closeAll(settle: (err: StatorError) => void): void {
    this.#isClosed = true;
    const cause = this.#cause ?? new UnavailableError('process host connection closed');
    const err =
      cause instanceof UnavailableError
        ? cause
        : new UnavailableError(`process host connection closed: ${cause.message}`, cause);
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    settle(err);
  }
}

/** A host message, or the error that makes the connection unusable. */
function parseMessage(frame: string): HostMessage | StatorError {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return protocolError('the host sent a line that is not JSON');
  }
  const parsed = hostMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : protocolError(`bad message: ${parsed.error.message}`);
}

function protocolError(message: string): StatorError {
  return new StatorError('internal', `process host protocol: ${message}`);
}

/** The error a host sent, as a StatorError of the same code. */
export function fromWire(w: WireError): StatorError {
  switch (w.code) {
    case 'invalid_argument':
    case 'malformed_json':
      return new InvalidArgumentError(w.message, w.details, w.code);
    case 'conflict':
      return new ConflictError(w.message, w.details);
    case 'unavailable':
      return new UnavailableError(w.message);
    default:
      return new StatorError(w.code, w.message, { details: w.details, recoverable: w.recoverable });
  }
}

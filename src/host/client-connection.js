// @ts-check
/**
 * One client of the host, over one socket. The first message must be a hello with this
 * protocol's version; then every line is a request, parsed with zod, answered with a reply of
 * the same id. Garbage never reaches a handler: a line that is not JSON, is longer than
 * `MAX_MESSAGE_BYTES`, or is not a request with a usable id gets one `error` message and the
 * connection is closed; a request with a usable id but bad fields gets an error reply and the
 * connection stays. Nothing a client sends can crash the host.
 * @module
 */
import process from 'node:process';
import { setTimeout } from 'node:timers';
import { Attachment } from './attachment.js';
import { FrameReader } from './line-frames.js';
import {
  clientHelloSchema,
  encodeMessage,
  invalidArgument,
  MAX_MESSAGE_BYTES,
  PROTOCOL_VERSION,
  requestSchema,
  wireError,
} from './protocol.js';
import { handleRequest } from './request-handlers.js';

/**
 * @import { Socket } from 'node:net'
 * @import { HostRequest } from './protocol-types.ts'
 * @import { WireError } from '../errors.ts'
 * @import { HeldProcess } from './held-process.js'
 * @import { RequestHost } from './request-handlers.js'
 */

/** Bytes queued on a client's socket past which its attachments wait for a drain. */
export const HIGH_WATER_BYTES = 4 * 1024 * 1024;

/**
 * What a connection needs from its host.
 * @typedef {RequestHost & { instance: string; log: (msg: string) => void }} ConnectionHost
 */

/** A connected client. */
export class ClientConnection {
  #socket;
  #host;
  #reader;
  #ready = false;
  #closed = false;
  #corked = false;
  /** @type {Map<string, Attachment>} */
  #attachments = new Map();

  /**
   * @param {Socket} socket
   * @param {ConnectionHost} host
   * @param {(conn: ClientConnection) => void} onClose
   */
  constructor(socket, host, onClose) {
    this.#socket = socket;
    this.#host = host;
    this.#reader = new FrameReader(
      MAX_MESSAGE_BYTES,
      (frame) => this.#onFrame(frame),
      (bytes) => this.fatal(wireError('invalid_argument', `message too large (${bytes} bytes)`)),
    );
    socket.on('data', (chunk) => this.#reader.push(chunk));
    socket.on('drain', () => {
      for (const a of this.#attachments.values()) a.drained();
    });
    socket.on('error', () => undefined); // 'close' follows
    socket.once('close', () => {
      this.#closed = true;
      for (const a of this.#attachments.values()) a.close();
      this.#attachments.clear();
      onClose(this);
    });
  }

  /**
   * Sends one message (dropped once the socket is closed). What is sent in one turn of the event
   * loop (a reply and the events it announces, the lines of several processes) goes out in one
   * write.
   */
  send(/** @type {unknown} */ message) {
    if (this.#closed) return;
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    this.#socket.write(encodeMessage(message));
  }

  /** True while the socket has too much queued. */
  get congested() {
    return this.#socket.writableLength > HIGH_WATER_BYTES;
  }

  /**
   * Follows `proc` from `fromOffset` (replacing an attachment to the same key).
   * @param {HeldProcess} proc
   * @param {number} fromOffset
   * @param {boolean} partials
   */
  attach(proc, fromOffset, partials) {
    this.detach(proc.key);
    const a = new Attachment(this, proc, fromOffset, partials);
    this.#attachments.set(proc.key, a);
    return a;
  }

  /** Stops following `key`. */
  detach(/** @type {string} */ key) {
    this.#attachments.get(key)?.close();
    this.#attachments.delete(key);
  }

  /** Drops the attachment of a released process. */
  forget(/** @type {string} */ key) {
    this.#attachments.delete(key);
  }

  /** Refuses the connection with `error` and closes it. */
  fatal(/** @type {WireError} */ error) {
    this.#reader.stop();
    this.send({ type: 'error', error });
    this.end();
  }

  /** Closes after what is queued was written. */
  end() {
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 1000).unref();
  }

  /** @param {string} frame */
  #onFrame(frame) {
    let value;
    try {
      value = JSON.parse(frame);
    } catch {
      return this.fatal(wireError('malformed_json', 'a message is not valid JSON'));
    }
    if (!this.#ready) return this.#hello(value);
    const parsed = requestSchema.safeParse(value);
    if (parsed.success) return void this.#dispatch(parsed.data);
    const id = value?.id;
    if (!Number.isSafeInteger(id) || id < 0) return this.fatal(invalidArgument(parsed.error));
    this.send({ type: 'reply', id, ok: false, error: invalidArgument(parsed.error) });
  }

  /** @param {unknown} value */
  #hello(value) {
    const parsed = clientHelloSchema.safeParse(value);
    if (!parsed.success) {
      const msg = `the first message must be {"type":"hello","version":${PROTOCOL_VERSION}}`;
      return this.fatal(wireError('invalid_argument', msg));
    }
    const { version, client } = parsed.data;
    if (version !== PROTOCOL_VERSION) {
      const msg = `protocol version ${version} is not supported: this process host speaks version ${PROTOCOL_VERSION}`;
      return this.fatal(
        wireError('conflict', msg, { expected: PROTOCOL_VERSION, received: version }),
      );
    }
    this.#ready = true;
    this.send({
      type: 'hello',
      version: PROTOCOL_VERSION,
      hostPid: process.pid,
      instance: this.#host.instance,
    });
    this.#host.log(`client connected: ${client ?? 'unnamed'}`);
  }

  /** @param {HostRequest} req */
  async #dispatch(req) {
    try {
      const { result, after } = await handleRequest(req, this, this.#host);
      this.send({ type: 'reply', id: req.id, ok: true, result });
      after?.();
    } catch (err) {
      this.send({ type: 'reply', id: req.id, ok: false, error: asWireError(err) });
    }
  }
}

/**
 * A thrown wire error as is; anything else (a bug) as `internal`, without its stack.
 * @param {unknown} err
 * @returns {WireError}
 */
function asWireError(err) {
  const e = /** @type {Partial<WireError> | null} */ (err);
  if (typeof e?.code === 'string' && typeof e.message === 'string' && 'recoverable' in e) {
    return /** @type {WireError} */ (err);
  }
  return wireError('internal', err instanceof Error ? err.message : String(err));
}

/**
 * The bus codec: payloads travel as UTF-8 JSON bytes; a Uint8Array is sent as-is and
 * `undefined` as empty bytes (which decode back to `undefined`).
 *
 * Bytes that arrive from the wire (`decodeJson`, what the NATS bus's `msg.json()` uses) are
 * pre-scanned for depth (`BUS_MAX_DEPTH`) before `JSON.parse`, so no subject (inbound actor
 * subjects and NATS triggers included) hands a deeply nested value to its handler. The bound is
 * twice the input bound, so internal messages that wrap bounded input (a reply carrying a
 * record) always fit. Commands on `stator.api.*` are held to the full input bounds (nats-api.ts).
 * @module
 */
import { InvalidArgumentError, MalformedPayloadError } from '../errors.ts';
import { DEFAULT_MAX_DEPTH, checkJsonBounds, type ResolvedInputBounds } from '../parse/index.ts';

/** Deepest nesting of a JSON payload decoded from the wire: twice the input bound. */
export const BUS_MAX_DEPTH = 2 * DEFAULT_MAX_DEPTH;

const TRANSPORT_BOUNDS: ResolvedInputBounds = Object.freeze({
  maxDepth: BUS_MAX_DEPTH,
  maxAliases: 0,
  maxEntries: Number.MAX_SAFE_INTEGER,
  maxStringLength: Number.MAX_SAFE_INTEGER,
});

/** What `undefined` is sent as; decodes back to `undefined`. */
export const EMPTY_PAYLOAD: Uint8Array = new Uint8Array(0);

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON text of a payload, '' for `undefined`; throws InvalidArgumentError when not serialisable. */
export function encodeJsonText(payload: unknown): string {
  if (payload === undefined) return '';
  let text: string | undefined;
  try {
    text = JSON.stringify(payload);
  } catch (err) {
    throw new InvalidArgumentError(
      `payload is not JSON-serialisable: ${(err as Error).message}`,
      undefined,
    );
  }
  return text ?? '';
}

/** Encodes a payload to bytes: Uint8Array as-is, `undefined` as empty, anything else as JSON. */
export function encodePayload(payload: unknown): Uint8Array {
  if (payload instanceof Uint8Array) return payload;
  if (payload === undefined) return EMPTY_PAYLOAD;
  return encoder.encode(encodeJsonText(payload));
}

/** Decodes UTF-8 bytes to text. */
export function decodeText(data: Uint8Array): string {
  return data.length === 0 ? '' : decoder.decode(data);
}

/** Parses JSON text; '' gives `undefined`; bad JSON throws MalformedPayloadError. */
export function parseJsonText<T = unknown>(text: string): T {
  if (text.length === 0) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new MalformedPayloadError(`payload is not valid JSON: ${(err as Error).message}`, err);
  }
}

/**
 * Decodes JSON bytes from the wire; empty bytes give `undefined`; bad JSON throws
 * MalformedPayloadError, JSON nested deeper than BUS_MAX_DEPTH InputBoundsError.
 */
export function decodeJson<T = unknown>(data: Uint8Array): T {
  const text = decodeText(data);
  checkJsonBounds(text, TRANSPORT_BOUNDS);
  return parseJsonText<T>(text);
}

/**
 * A payload encoded once and shared by every receiver of one publish. JSON payloads keep their
 * text so in-process receivers parse it without a bytes round trip; bytes are made on demand.
 */
export class EncodedPayload {
  #text: string | undefined;
  #bytes: Uint8Array | undefined;

  private constructor(text: string | undefined, bytes: Uint8Array | undefined) {
    this.#text = text;
    this.#bytes = bytes;
  }

  /** Encodes `payload`; a Uint8Array is copied so the publisher may reuse its buffer. */
  static from(payload: unknown): EncodedPayload {
    if (payload instanceof Uint8Array) return new EncodedPayload(undefined, payload.slice());
    return new EncodedPayload(encodeJsonText(payload), undefined);
  }

  /** The payload bytes (shared by all receivers: do not mutate). */
  get bytes(): Uint8Array {
    if (this.#bytes === undefined) {
      this.#bytes = this.#text === '' ? EMPTY_PAYLOAD : encoder.encode(this.#text);
    }
    return this.#bytes;
  }

  /** The payload as UTF-8 text. */
  get text(): string {
    if (this.#text === undefined) this.#text = decodeText(this.#bytes ?? EMPTY_PAYLOAD);
    return this.#text;
  }

  /** A fresh decoded copy of the JSON payload. */
  json<T = unknown>(): T {
    return parseJsonText<T>(this.text);
  }
}

// Generated from protocol.js: see test/unit/host/declarations.test.ts. Do not edit.
/** One message as a line of the wire format. */
export function encodeMessage(message: unknown): string;
/**
 * A wire error from field issues, naming the first few fields in its message (the same shape
 * as `InvalidArgumentError.format` in src/errors.ts, which the host cannot import).
 * @param {z.ZodError} error
 * @returns {WireError}
 */
export function invalidArgument(error: z.ZodError): WireError;
/**
 * A wire error.
 * @param {WireError['code']} code
 * @param {string} message
 * @param {unknown} [details]
 * @returns {WireError}
 */
export function wireError(code: WireError['code'], message: string, details?: unknown): WireError;
/**
 * @import { ClientHello, HostRequest, HostMessage, HostSpawnSpec, HeldProcessInfo,
 *   AttachResult, SpawnResult, ListResult, ShutdownResult } from './protocol-types.ts'
 * @import { WireError } from '../errors.ts'
 */
/** Version of this protocol; a hello with another version is refused. */
export const PROTOCOL_VERSION: 1;
/** Longest message (one JSON line, terminator excluded), both ways. */
export const MAX_MESSAGE_BYTES: number;
/** Largest line cap a spawn may ask for; with 64K-char batches an event stays under 1 MiB. */
export const MAX_LINE_LENGTH: number;
/** Longest process key. */
export const MAX_KEY_LENGTH: 512;
/** Largest timer delay Node accepts (about 24.8 days). */
export const MAX_TIMER_MS: number;
/** Exit code of a host that found another host holding its data directory's lock. */
export const EXIT_LOCKED: 3;
/** Name of the environment variable the host adds to every process it starts (see reap.js). */
export const MARKER_ENV: 'STATOR_HOST_PROC';
/** @type {z.ZodType<WireError>} */
export const wireErrorSchema: z.ZodType<WireError>;
/** @type {z.ZodType<HostSpawnSpec>} */
export const spawnSpecSchema: z.ZodType<HostSpawnSpec>;
/** @type {z.ZodType<ClientHello>} */
export const clientHelloSchema: z.ZodType<ClientHello>;
/** @type {z.ZodType<HostRequest>} */
export const requestSchema: z.ZodType<HostRequest>;
/** @type {z.ZodType<HeldProcessInfo>} */
export const heldProcessInfoSchema: z.ZodType<HeldProcessInfo>;
/** @type {z.ZodType<AttachResult>} */
export const attachResultSchema: z.ZodType<AttachResult>;
/** @type {z.ZodType<SpawnResult>} */
export const spawnResultSchema: z.ZodType<SpawnResult>;
/** @type {z.ZodType<ListResult>} */
export const listResultSchema: z.ZodType<ListResult>;
/** @type {z.ZodType<ShutdownResult>} */
export const shutdownResultSchema: z.ZodType<ShutdownResult>;
/** @type {z.ZodType<Record<string, never>>} */
export const emptyResultSchema: z.ZodType<Record<string, never>>;
/** @type {z.ZodType<HostMessage>} */
export const hostMessageSchema: z.ZodType<HostMessage>;
import type { z } from 'zod';
import type { WireError } from '../errors.ts';
import type { HostSpawnSpec } from './protocol-types.ts';
import type { ClientHello } from './protocol-types.ts';
import type { HostRequest } from './protocol-types.ts';
import type { HeldProcessInfo } from './protocol-types.ts';
import type { AttachResult } from './protocol-types.ts';
import type { SpawnResult } from './protocol-types.ts';
import type { ListResult } from './protocol-types.ts';
import type { ShutdownResult } from './protocol-types.ts';
import type { HostMessage } from './protocol-types.ts';

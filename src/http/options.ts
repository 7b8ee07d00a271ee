/**
 * Options of the HTTP app: given as HttpAppOptions, resolved once into ResolvedHttpAppOptions.
 * @module
 */
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Stator } from '../runtime/index.ts';
import { InvalidArgumentError } from '../errors.ts';
import { fieldIssues } from '../commands/index.ts';

/** Default of `HttpAppOptions.bodyLimitBytes`: 1 MiB. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** Default of `HttpAppOptions.sseHeartbeatMs`. */
export const DEFAULT_SSE_HEARTBEAT_MS = 15_000;
/** Default of `HttpAppOptions.sseBufferSize`. */
export const DEFAULT_SSE_BUFFER_SIZE = 1000;

/** Options of `createHttpApp()`. */
export interface HttpAppOptions {
  /** The service the routes drive. */
  stator: Stator;
  /** When set, every `/api/*` route needs `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
  /** pino logger for request and error logs; silent when absent. */
  logger?: Logger;
  /** Largest accepted request body. @default 1048576 */
  bodyLimitBytes?: number;
  /** Interval of SSE heartbeat comments. @default 15000 */
  sseHeartbeatMs?: number;
  /** Events buffered per SSE client before it starts losing them. @default 1000 */
  sseBufferSize?: number;
}

/** Options after defaults and validation. */
export interface ResolvedHttpAppOptions {
  stator: Stator;
  apiToken: string | undefined;
  logger: Logger | undefined;
  bodyLimitBytes: number;
  sseHeartbeatMs: number;
  sseBufferSize: number;
}

const schema = z.object({
  apiToken: z.string().min(1, 'must not be empty').optional(),
  bodyLimitBytes: z.number().int().min(1).default(DEFAULT_BODY_LIMIT_BYTES),
  sseHeartbeatMs: z.number().int().min(10).default(DEFAULT_SSE_HEARTBEAT_MS),
  sseBufferSize: z.number().int().min(1).max(1_000_000).default(DEFAULT_SSE_BUFFER_SIZE),
});

/** Merges defaults and validates; names the offending field on error. */
export function resolveHttpAppOptions(input: HttpAppOptions): ResolvedHttpAppOptions {
  const parsed = schema.safeParse({
    apiToken: input.apiToken,
    bodyLimitBytes: input.bodyLimitBytes,
    sseHeartbeatMs: input.sseHeartbeatMs,
    sseBufferSize: input.sseBufferSize,
  });
  if (!parsed.success) throw InvalidArgumentError.format(fieldIssues(parsed.error));
  return {
    ...parsed.data,
    apiToken: parsed.data.apiToken,
    stator: input.stator,
    logger: input.logger,
  };
}

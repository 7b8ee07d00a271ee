/**
 * Options of the SQLite store: the file, lock handling and the store limits, with their
 * defaults and one validation at the boundary.
 * @module
 */
import { z } from 'zod';
import { InvalidArgumentError } from '../../errors.ts';
import { resolveStoreLimits } from '../limits.ts';
import type { StoreLimits } from '../types.ts';

/** Options of the SQLite store. */
export interface SqliteStoreOptions extends Partial<StoreLimits> {
  /** Database file; its directory is created when missing. `:memory:` for a private db. */
  path: string;
  /** How long a write waits for another connection's lock, ms. @default 5000 */
  busyTimeoutMs?: number;
  /**
   * Hold the file's lock for the store's lifetime (SQLite `locking_mode=EXCLUSIVE`): cheaper
   * writes (no shared-memory locking), but no other process can open the file meanwhile.
   * @default false
   */
  exclusive?: boolean;
}

/** Default lock wait of the SQLite store, ms. */
export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5000;

/** SQLite store options with every default applied. */
export interface ResolvedSqliteStoreOptions extends StoreLimits {
  path: string;
  busyTimeoutMs: number;
  exclusive: boolean;
}

const schema = z.object({
  path: z.string().min(1, 'must be a non-empty file path'),
  busyTimeoutMs: z.number().int().min(0).default(DEFAULT_SQLITE_BUSY_TIMEOUT_MS),
  exclusive: z.boolean().default(false),
});

/** Applies defaults and validates; throws InvalidArgumentError naming the bad field. */
export function resolveSqliteStoreOptions(input: SqliteStoreOptions): ResolvedSqliteStoreOptions {
  const parsed = schema.safeParse({
    path: input.path,
    busyTimeoutMs: input.busyTimeoutMs,
    exclusive: input.exclusive,
  });
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return { ...parsed.data, ...resolveStoreLimits(input) };
}

/**
 * The claim scopes of a hook path, built in one place: `hook:<path>` for its Idempotency-Keys
 * and `webhook-signature:<path>` for the signatures it accepted. A path too long to fit a scope
 * (256 characters) is replaced by its SHA-256 (`hook#<hex>`, `webhook-signature#<hex>`).
 * @module
 */
import { createHash } from 'node:crypto';

/** Longest path used as is in a claim scope. */
const MAX_SCOPE_PATH = 200;

function scope(prefix: string, path: string): string {
  if (path.length <= MAX_SCOPE_PATH) return `${prefix}:${path}`;
  return `${prefix}#${createHash('sha256').update(path).digest('hex')}`;
}

/** The scope of a path's Idempotency-Keys. */
export function idempotencyScope(path: string): string {
  return scope('hook', path);
}

/** The scope of a path's accepted signatures. */
export function signatureScope(path: string): string {
  return scope('webhook-signature', path);
}

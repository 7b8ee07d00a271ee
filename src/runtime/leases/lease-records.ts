/**
 * What the lease bucket holds, checked with zod when read (any process may write the bucket).
 * A holder is one incarnation of a node: a restarted node is a new holder, so it never mistakes
 * the leases of its previous life for its own.
 * @module
 */
import { z } from 'zod';

/** `h.<holder>`: a node incarnation's liveness. `dead` once another node declared it so. */
export const holderValueSchema = z.object({
  holder: z.string().min(1),
  node: z.string().min(1),
  state: z.enum(['alive', 'dead']),
  /** The holder that declared it dead. */
  by: z.string().optional(),
});
/** A holder entry. */
export type HolderValue = z.infer<typeof holderValueSchema>;

/**
 * `x.<executionId>` or `s.<sessionId>`: who runs the execution or session. `held` rides on the
 * holder's liveness; `released` (a node that shut down) may be claimed by anyone at once.
 */
export const leaseValueSchema = z.object({
  kind: z.enum(['execution', 'session']),
  id: z.string().min(1),
  holder: z.string().min(1),
  node: z.string().min(1),
  state: z.enum(['held', 'released']),
});
/** The lease of an execution or a session. */
export type LeaseValue = z.infer<typeof leaseValueSchema>;

/** One decoded entry of the bucket. */
export type LeaseEntry =
  | { kind: 'holder'; key: string; revision: number; value: HolderValue }
  | { kind: 'lease'; key: string; revision: number; value: LeaseValue }
  | { kind: 'deleted'; key: string; revision: number };

/** Decodes a value read from the bucket; undefined when it is not a lease of `kind`. */
export function decodeLease<K extends 'holder' | 'lease'>(
  kind: K,
  bytes: Uint8Array,
): (K extends 'holder' ? HolderValue : LeaseValue) | undefined {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
  const schema = kind === 'holder' ? holderValueSchema : leaseValueSchema;
  const parsed = schema.safeParse(json);
  return parsed.success ? (parsed.data as never) : undefined;
}

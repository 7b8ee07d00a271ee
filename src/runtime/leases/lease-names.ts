/**
 * The lease bucket's name (the deployment's SubjectSpace builds it) and its keys. The bucket is
 * the deployment's (`<prefix>_leases`, beside the store's `<prefix>_*` buckets), so two deployments on one NATS
 * server never see each other's leases. Keys:
 * - `h.<holder>`: one liveness entry per node incarnation, beaten every TTL/3;
 * - `x.<executionId>`: the lease of one execution, naming the holder whose liveness it rides on;
 * - `s.<sessionId>`: the lease of one session, the same way.
 * @module
 */
import { subjectSpace } from '../../bus/index.ts';
import { toToken } from '../../store/index.ts';

/** The KV bucket of the leases of the deployment `prefix`. */
export function leaseBucketName(prefix: string): string {
  return subjectSpace(prefix).buckets.leases;
}

const HOLDER = 'h.';
const EXECUTION = 'x.';
const SESSION = 's.';

/** What a lease is for. */
export type LeaseKind = 'execution' | 'session';

/** Keys and key patterns of the lease bucket. */
export const leaseKeys = {
  holder: (holderId: string) => `${HOLDER}${toToken(holderId)}`,
  execution: (executionId: string) => `${EXECUTION}${toToken(executionId)}`,
  session: (sessionId: string) => `${SESSION}${toToken(sessionId)}`,
  of: (kind: LeaseKind, id: string) =>
    kind === 'execution' ? leaseKeys.execution(id) : leaseKeys.session(id),
  /** Every key of the bucket (the watch of every node). */
  all: '>',
};

/** What a key of the bucket stands for; undefined for a key of no known kind. */
export function parseLeaseKey(
  key: string,
): { kind: 'holder' | 'lease'; token: string } | undefined {
  if (key.startsWith(HOLDER)) return { kind: 'holder', token: key.slice(HOLDER.length) };
  if (key.startsWith(EXECUTION)) return { kind: 'lease', token: key.slice(EXECUTION.length) };
  if (key.startsWith(SESSION)) return { kind: 'lease', token: key.slice(SESSION.length) };
  return undefined;
}

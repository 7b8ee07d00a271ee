/**
 * Sessions of another process of the cluster: commands go to their owner on
 * `stator.session.<id>.in` (its actor router answers; every other process stays silent), and
 * what only the owner can do is refused with where to ask.
 * @module
 */
import { actorIn, type Bus } from '../bus/index.ts';
import { ConflictError, StatorError, UnavailableError, type WireError } from '../errors.ts';
import type { SessionRecord } from '../store/index.ts';
import type { SessionView } from './types.ts';

/** How long a forwarded command waits for the owner (plus the kill grace for stop/restart). */
export const OWNER_TIMEOUT_MS = 5000;

/** Sends `event` to the owner of `record` and returns its answer; its errors are rethrown. */
export async function forwardToOwner(
  bus: Pick<Bus, 'request'>,
  record: SessionRecord,
  event: { type: string },
  timeoutMs: number,
): Promise<SessionView> {
  let body: { ok: boolean; data?: SessionView; error?: WireError };
  try {
    body = (await bus.request(actorIn('session', record.id), event, { timeoutMs })).json();
  } catch (err) {
    throw new UnavailableError(
      `session '${record.id}' runs on '${record.node}', which does not answer`,
      err,
    );
  }
  if (body.ok && body.data) return body.data;
  const e = body.error;
  throw new StatorError(e?.code ?? 'internal', e?.message ?? 'no answer', {
    details: e?.details,
    recoverable: e?.recoverable ?? false,
  });
}

/** The refusal of a change only the owner of `record` can make. */
export function ownedElsewhere(record: SessionRecord): ConflictError {
  return new ConflictError(`session '${record.id}' runs on '${record.node}'; ask that server`, {
    node: record.node,
  });
}

/**
 * Sessions of another process of the cluster: every command and read that needs the live
 * session goes to its owner on `stator.session.<id>.in`, which only the owner subscribes (the
 * actor router), and comes back with the owner's answer. An owner that is gone (nobody
 * subscribes, answered at once by the server) or does not answer in time is `unavailable`.
 * @module
 */
import { requestOwner, type Bus } from '../bus/index.ts';
import { StatorError, UnavailableError } from '../errors.ts';
import type { SessionRecord } from '../store/index.ts';

/** How long a forwarded command waits for the owner (plus the kill grace for stop/restart). */
export const OWNER_TIMEOUT_MS = 5000;

/** Sends `event` to the owner of `record` and returns its answer; its errors are rethrown. */
export async function forwardToOwner<T>(
  bus: Pick<Bus, 'request' | 'subjects'>,
  record: SessionRecord,
  event: { type: string } & Record<string, unknown>,
  timeoutMs: number,
): Promise<T> {
  let answer;
  try {
    answer = await requestOwner<T>(
      bus,
      bus.subjects.actorIn('session', record.id),
      event,
      timeoutMs,
    );
  } catch (err) {
    if (!(err instanceof StatorError) || err.code !== 'timeout') throw err;
    throw ownerGone(record, 'does not answer', err);
  }
  if (!answer.held) throw ownerGone(record, 'is not running');
  return answer.data;
}

/** The refusal of a command whose session's owner cannot be reached. */
export function ownerGone(record: SessionRecord, why: string, cause?: unknown): UnavailableError {
  const node = record.node === null ? 'no node' : `'${record.node}'`;
  return new UnavailableError(`session '${record.id}' runs on ${node}, which ${why}`, cause);
}

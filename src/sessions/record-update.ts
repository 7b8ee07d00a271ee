/**
 * A session record after one of its machine's events: status changes carry pid, counters, exit
 * and error (and end the activity unless running); activity changes set when it began awaiting
 * input. Pure: the caller stores the result.
 * @module
 */
import type { SessionEvent } from '../events.ts';
import type { SessionRecord } from '../store/index.ts';

/** `record` after `event`, at ISO time `now`. */
export function recordAfter(
  record: SessionRecord,
  event: SessionEvent,
  now: string,
): SessionRecord {
  const r = { ...record, updatedAt: now };
  if (event.type === 'session.status') {
    r.status = event.status;
    r.pid = event.pid;
    r.restarts = event.restarts;
    r.exitCode = event.exitCode;
    r.lastError = event.error;
    if (event.status === 'running') r.startedAt = now;
    if (event.status !== 'running') {
      r.activity = null;
      r.awaitingSince = null;
    }
  } else if (event.type === 'session.activity') {
    r.activity = event.activity;
    r.awaitingSince = event.activity === 'awaiting_input' ? now : null;
  }
  return r;
}

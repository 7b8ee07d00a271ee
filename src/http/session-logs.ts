/**
 * `GET /api/sessions/:id/logs?follow=1`: the buffered lines, then new lines as the session
 * writes them, as chunked plain text (`curl -N` shows it like `tail -f`).
 *
 * New lines are read from the session's ring buffer, not from the events themselves: the
 * session's events (a monitor subscription with a small bounded buffer) only wake the reader,
 * which then takes every line after the last one it sent. So a burst of output costs one read,
 * a lost wake-up costs nothing (the next one, or the poll, catches up), and a client too slow
 * for the ring buffer is told how many lines it missed. The stream ends when the client goes
 * away or the session is deleted.
 * @module
 */
import type { Context } from 'hono';
import { streamText } from 'hono/streaming';
import type { Stator } from '../runtime/index.ts';
import type { SessionLogLine } from '../sessions/index.ts';
import { sessionsOf } from '../commands/index.ts';

/** Settings of a followed log. */
export interface FollowLogsOptions {
  /** Wake-up events buffered for the subscription; more are dropped (harmless). @default 64 */
  bufferSize?: number;
  /** Re-read the buffer this often even without events, ms. @default 1000 */
  pollMs?: number;
  /** Lines read per batch. @default 1000 */
  batchLines?: number;
}

/** One log line as text: `<stream> | <line>`. */
export function formatSessionLine(l: SessionLogLine): string {
  return `${l.stream} | ${l.line}\n`;
}

/** Streams `initial` (the first read, after `since`), then every line written after them. */
export function followSessionLogs(
  c: Context,
  stator: Stator,
  id: string,
  initial: readonly SessionLogLine[],
  since: number | undefined,
  opts: FollowLogsOptions = {},
): Response {
  const { bufferSize = 64, pollMs = 1000, batchLines = 1000 } = opts;
  const manager = sessionsOf(stator);
  return streamText(c, async (stream) => {
    let last = initial.at(-1)?.seq ?? since ?? 0;
    let ended = false;
    let pumping: Promise<void> | undefined;
    let again = false;
    let finish!: () => void;
    const done = new Promise<void>((resolve) => (finish = resolve));
    const end = (): void => {
      ended = true;
      finish();
    };

    const readAll = async (): Promise<void> => {
      while (!ended) {
        let lines: SessionLogLine[];
        try {
          lines = await manager.logs(id, { since: last, limit: batchLines });
        } catch {
          return end(); // deleted (not_found) or the service is closing
        }
        if (lines.length === 0) return;
        const missed = lines[0]!.seq - last - 1;
        let text = missed > 0 ? `[stator] ${missed} lines no longer buffered\n` : '';
        for (const l of lines) text += formatSessionLine(l);
        last = lines.at(-1)!.seq;
        await stream.write(text);
        if (lines.length < batchLines) return;
      }
    };
    const wake = (): void => {
      if (ended) return;
      if (pumping) {
        again = true;
        return;
      }
      pumping = (async () => {
        do {
          again = false;
          await readAll();
        } while (again && !ended);
      })()
        .catch(end) // the socket is gone
        .finally(() => (pumping = undefined));
    };

    // Any event of the session wakes the reader; a deleted session ends the stream there.
    const sub = stator.subscribe((event) => (event.type === 'session.deleted' ? end() : wake()), {
      filter: { kind: 'session', id },
      bufferSize,
      name: `session-logs:${id}`,
    });
    const timer = setInterval(wake, pollMs);
    timer.unref();
    stream.onAbort(end);
    c.req.raw.signal.addEventListener('abort', end, { once: true });
    try {
      if (initial.length > 0) await stream.write(initial.map(formatSessionLine).join(''));
      wake(); // lines written between the first read and the subscription
      if (!stream.aborted && !c.req.raw.signal.aborted) await done;
    } catch {
      // The client went away while the first lines were written.
    } finally {
      ended = true;
      clearInterval(timer);
      sub.unsubscribe();
      await pumping;
    }
  });
}

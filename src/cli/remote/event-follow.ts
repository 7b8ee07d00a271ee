/**
 * Follows one run's events from a running server: `GET /api/events?executionId=…` resumed from
 * the start of what the server keeps, so a run watched from its beginning is shown whole. When
 * the server no longer holds the run's first event (a long run, a restarted server), the caller
 * is told (`complete: false`) and shows the stored state first.
 * @module
 */
import { z } from 'zod';
import { readSse, request, type Remote } from './api-client.ts';

/** The fields of an event the CLI reads. */
const eventSchema = z
  .object({
    type: z.string(),
    seq: z.number().optional(),
    ts: z.string().optional(),
    executionId: z.string().optional(),
    stepId: z.string().optional(),
    attempt: z.number().optional(),
    line: z.string().optional(),
    status: z.string().optional(),
    error: z.unknown().optional(),
  })
  .passthrough();

/** One event of the run. */
export type RunEvent = z.infer<typeof eventSchema>;

const FINAL = new Set([
  'execution.completed',
  'execution.failed',
  'execution.cancelled',
  'execution.timed_out',
  'execution.blocked',
]);

/** True for the event that ends a run. */
export const isFinalEvent = (e: RunEvent): boolean => FINAL.has(e.type);

/** A followed run: its events as they come, and whether they start at the run's beginning. */
export interface FollowedRun {
  events: AsyncGenerator<RunEvent>;
  /** Resolves once the first event says whether the replay reaches the run's start. */
  complete(): Promise<boolean>;
  close(): void;
}

/** Opens the event stream of `executionId`: replaying what the server keeps, or live only. */
export async function followRun(
  remote: Remote,
  executionId: string,
  replay = true,
): Promise<FollowedRun> {
  const abort = new AbortController();
  const query = new URLSearchParams({ executionId, ...(replay && { lastEventId: '0' }) });
  const res = await request(remote, 'GET', `/api/events?${query}`, undefined, {
    signal: abort.signal,
    accept: 'text/event-stream',
  });
  let settle!: (complete: boolean) => void;
  const completeness = new Promise<boolean>((resolve) => (settle = resolve));
  // Read eagerly, so completeness is known before anyone iterates the events.
  const queue: RunEvent[] = [];
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const pump = (async () => {
    let first = true;
    for await (const sse of readSse(res)) {
      // A gap notice is about the server's whole history, not this run: the run's first
      // event tells whether its start is still kept.
      if (sse.event === 'monitor.gap' || sse.event === 'monitor.dropped') continue;
      const parsed = eventSchema.safeParse(JSON.parse(sse.data));
      if (!parsed.success) continue;
      if (first) {
        settle(parsed.data.type === 'execution.queued' || parsed.data.type === 'execution.started');
        first = false;
      }
      queue.push(parsed.data);
      wake?.();
    }
  })()
    .catch((e: unknown) => {
      if ((e as Error).name !== 'AbortError') failure = e;
    })
    .finally(() => {
      ended = true;
      settle(false);
      wake?.();
    });
  async function* events(): AsyncGenerator<RunEvent> {
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (ended) break;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
    await pump;
    if (failure !== undefined) throw failure;
  }
  return {
    events: events(),
    complete: () => completeness,
    close: () => abort.abort(),
  };
}

/** How long the replay may take to say whether it reaches the run's start. */
const REPLAY_WAIT_MS = 500;

/**
 * The run's events from its start while the server still keeps them (`whole`); otherwise a
 * live-only stream from now, for a caller that shows the stored state first.
 */
export async function followRunFromStart(
  remote: Remote,
  executionId: string,
): Promise<{ run: FollowedRun; whole: boolean }> {
  const run = await followRun(remote, executionId);
  const whole = await Promise.race([
    run.complete(),
    new Promise<boolean>((r) => setTimeout(() => r(false), REPLAY_WAIT_MS)),
  ]);
  if (whole) return { run, whole };
  run.close();
  return { run: await followRun(remote, executionId, false), whole: false };
}

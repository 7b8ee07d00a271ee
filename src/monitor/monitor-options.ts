/**
 * The monitor hub's options (defaults, validation) and the one event fact it needs about runs:
 * which events end one (their waiters wait for them in cluster mode).
 * @module
 */
import type { AnyActorRef } from 'xstate';
import { z } from 'zod';
import type { StampedEvent } from '../events.ts';
import { systemClock, type Clock } from '../clock.ts';
import { InvalidArgumentError } from '../errors.ts';
import type { EventStream } from './event-history.ts';
import { DEFAULT_RECENT_EVENTS } from './recent-events.ts';

/** @default 1000 */
export const DEFAULT_SUBSCRIBER_BUFFER = 1000;

/** @default 5000 */
export const DEFAULT_ECHO_TIMEOUT_MS = 5000;

/** Options of the monitor hub. */
export interface MonitorHubOptions {
  /** Recent events kept in memory for resumes (`since`, SSE `Last-Event-ID`). @default 10000 */
  recentEvents?: number;
  /** Cluster mode: the cluster's event stream, read instead of this process's events. */
  stream?: EventStream;
  /**
   * Cluster mode: how long a run's waiters wait at most for its final event to come back from
   * the stream to the in-process subscribers. @default 5000
   */
  echoTimeoutMs?: number;
  /** Times the echo waits and the stream's reopening (the service's clock). @default systemClock */
  clock?: Clock;
  /** Tells the live actor directory about the actor (GET /api/actors). */
  track?: (kind: string, id: string, actor: AnyActorRef) => void;
}

/** Options after defaults and validation. */
export interface ResolvedMonitorHubOptions {
  recentEvents: number;
  stream: EventStream | undefined;
  echoTimeoutMs: number;
  clock: Clock;
}

const optionsSchema = z.object({
  recentEvents: z.number().int().min(0).max(1_000_000).default(DEFAULT_RECENT_EVENTS),
  echoTimeoutMs: z.number().int().min(0).max(600_000).default(DEFAULT_ECHO_TIMEOUT_MS),
});

const FINAL_TYPES: ReadonlySet<string> = new Set([
  'execution.completed',
  'execution.failed',
  'execution.cancelled',
  'execution.timed_out',
  'execution.blocked',
]);

/** The run a final event ends, or undefined for any other event. */
export function finalOf(event: StampedEvent): string | undefined {
  if (!FINAL_TYPES.has(event.type)) return undefined;
  const id = (event as { executionId?: unknown }).executionId;
  return typeof id === 'string' ? id : undefined;
}

/** Merges defaults and validates; names the offending field on error. */
export function resolveMonitorHubOptions(input: MonitorHubOptions = {}): ResolvedMonitorHubOptions {
  const parsed = optionsSchema.safeParse({
    recentEvents: input.recentEvents,
    echoTimeoutMs: input.echoTimeoutMs,
  });
  if (!parsed.success) {
    throw InvalidArgumentError.format(
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return { ...parsed.data, stream: input.stream, clock: input.clock ?? systemClock };
}

/**
 * Sequential latency probes for the NATS-mode benchmark, each seen from a plain NATS client
 * (`@nats-io/transport-node`, hand-made JSON, as a client in another language would talk):
 * `stator.api.workflow.execute` to the step's `step.started` on `stator.execution.<id>.out`,
 * and the bare request-reply round trip to an echo responder on another connection.
 * @module
 */
import type { NatsConnection } from '@nats-io/transport-node';
import type { SubjectSpace } from '../../src/bus/index.ts';

const FINAL = new Set([
  'execution.completed',
  'execution.failed',
  'execution.cancelled',
  'execution.timed_out',
]);
const TIMEOUT_MS = 10_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Subject of the echo responder (a bench subject, not one of Stator's). */
export const ECHO_SUBJECT = 'bench.echo';

/** Timings of one execute request, ms from just before the request was sent. */
export interface ExecuteTiming {
  /** The API's reply arrived. */
  reply: number;
  /** The step's `step.started` event arrived on the execution's `.out` subject. */
  stepStarted: number;
}

function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: nothing after ${TIMEOUT_MS} ms`)),
      TIMEOUT_MS,
    );
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

/**
 * Subscribes to the run's `.out` subject (and flushes, so the server has the interest), then
 * requests `workflow.execute` with that `executionId`; waits for the run to end before
 * resolving, so sequential calls never overlap.
 */
export async function executeToStepStarted(
  nc: NatsConnection,
  names: SubjectSpace,
  workflowId: string,
  executionId: string,
): Promise<ExecuteTiming> {
  let started!: (t: number) => void;
  let ended!: (type: string) => void;
  const stepStarted = new Promise<number>((r) => (started = r));
  const final = new Promise<string>((r) => (ended = r));
  const sub = nc.subscribe(names.actorOut('execution', executionId), {
    callback: (err, msg) => {
      if (err) return;
      const type = (JSON.parse(decoder.decode(msg.data)) as { type: string }).type;
      if (type === 'step.started') started(performance.now());
      else if (FINAL.has(type)) ended(type);
    },
  });
  try {
    await nc.flush();
    const body = encoder.encode(JSON.stringify({ workflowId, executionId }));
    const t0 = performance.now();
    const msg = await nc.request(names.apiSubject('workflow.execute'), body, {
      timeout: TIMEOUT_MS,
    });
    const reply = performance.now() - t0;
    const answer = JSON.parse(decoder.decode(msg.data)) as { ok: boolean; error?: unknown };
    if (!answer.ok) throw new Error(`workflow.execute refused: ${JSON.stringify(answer.error)}`);
    const at = await within(stepStarted, `step.started of ${executionId}`);
    const type = await within(final, `final event of ${executionId}`);
    if (type !== 'execution.completed') throw new Error(`${executionId} ended with ${type}`);
    return { reply, stepStarted: at - t0 };
  } finally {
    sub.unsubscribe();
  }
}

/** Answers every request on ECHO_SUBJECT with its own payload; returns the unsubscriber. */
export async function startEcho(nc: NatsConnection): Promise<() => void> {
  const sub = nc.subscribe(ECHO_SUBJECT, {
    callback: (err, msg) => {
      if (!err) msg.respond(msg.data);
    },
  });
  await nc.flush();
  return () => sub.unsubscribe();
}

/** `n` sequential request-reply round trips on ECHO_SUBJECT with `payload`; ms each. */
export async function echoRoundTrips(
  nc: NatsConnection,
  n: number,
  payload: unknown,
): Promise<number[]> {
  const body = encoder.encode(JSON.stringify(payload));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await nc.request(ECHO_SUBJECT, body, { timeout: TIMEOUT_MS });
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * One sequential latency probe seen from a plain NATS client (hand-made JSON, as a client in
 * another language would talk): `stator.api.workflow.execute` request to the run's
 * `execution.completed` on `stator.execution.<id>.out`.
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

/**
 * Subscribes to the run's `.out` subject (flushed, so the server has the interest before the
 * run exists), requests `workflow.execute` with that id and resolves with the ms from just
 * before the request to the arrival of its final event; throws unless that is `completed`.
 */
export async function executeToCompleted(
  nc: NatsConnection,
  names: SubjectSpace,
  workflowId: string,
  executionId: string,
): Promise<number> {
  let ended!: (at: { type: string; t: number }) => void;
  const final = new Promise<{ type: string; t: number }>((r) => (ended = r));
  const sub = nc.subscribe(names.actorOut('execution', executionId), {
    callback: (err, msg) => {
      if (err) return;
      const type = (JSON.parse(decoder.decode(msg.data)) as { type: string }).type;
      if (FINAL.has(type)) ended({ type, t: performance.now() });
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await nc.flush();
    const body = encoder.encode(JSON.stringify({ workflowId, executionId }));
    const t0 = performance.now();
    const msg = await nc.request(names.apiSubject('workflow.execute'), body, {
      timeout: TIMEOUT_MS,
    });
    const answer = JSON.parse(decoder.decode(msg.data)) as { ok: boolean; error?: unknown };
    if (!answer.ok) throw new Error(`workflow.execute refused: ${JSON.stringify(answer.error)}`);
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${executionId}: no final event after ${TIMEOUT_MS} ms`)),
        TIMEOUT_MS,
      );
    });
    const end = await Promise.race([final, late]);
    if (end.type !== 'execution.completed') throw new Error(`${executionId} ended ${end.type}`);
    return end.t - t0;
  } finally {
    clearTimeout(timer);
    sub.unsubscribe();
  }
}

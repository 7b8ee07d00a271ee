/**
 * The workflows of the chaos tests, every `run`/`exec` step marked (see markers.ts): chains,
 * fan-outs, a retry that fails once, durable `sleep` steps, a long step, and single steps
 * sized for each case.
 * @module
 */
import { FAIL_ONCE_BODY, SAY_BODY, markedScript, markerEnv, sleepBody } from './markers.ts';

type Step = Record<string, unknown> & { id: string };

/** A definition as the API takes it. */
export interface WorkflowDoc {
  id: string;
  env: Record<string, string>;
  steps: Step[];
  [key: string]: unknown;
}

/** A marked `run` step. */
export function runStep(id: string, body: string, extra: Record<string, unknown> = {}): Step {
  return { id, run: markedScript(body), ...extra };
}

/** A marked `exec` step (`/bin/sh -c <script>`, the script as one argv item). */
export function execStep(id: string, body: string, extra: Record<string, unknown> = {}): Step {
  return { id, exec: ['/bin/sh', '-c', markedScript(body)], ...extra };
}

/** A workflow whose steps see the markers directory. */
export function workflow(id: string, markersDir: string, steps: Step[]): WorkflowDoc {
  return { id, env: markerEnv(markersDir), steps };
}

/** a → b → c; b is an `exec` step, c prints a line. */
export function chain(markersDir: string): WorkflowDoc {
  return workflow('chaos-chain', markersDir, [
    runStep('a', sleepBody(0.3)),
    execStep('b', sleepBody(0.3), { needs: ['a'] }),
    runStep('c', sleepBody(0.2) + SAY_BODY, { needs: ['b'] }),
  ]);
}

/** root → f1..f6 → join. */
export function fanOut(markersDir: string): WorkflowDoc {
  const fans = Array.from({ length: 6 }, (_, i) => `f${i + 1}`);
  return workflow('chaos-fanout', markersDir, [
    runStep('root', sleepBody(0.1)),
    ...fans.map((id, i) => runStep(id, sleepBody(0.3 + 0.05 * i), { needs: ['root'] })),
    runStep('join', SAY_BODY, { needs: fans }),
  ]);
}

/** Step ids of `retrying` that fail (once) on purpose. */
export const FAILS_ONCE = new Set(['flaky']);

/** flaky (fails its first attempt, 3 attempts, 400 ms backoff) → after. */
export function retrying(markersDir: string): WorkflowDoc {
  return workflow('chaos-retry', markersDir, [
    runStep('flaky', FAIL_ONCE_BODY + sleepBody(0.2), {
      retry: { attempts: 3, backoff: '400ms', factor: 2 },
    }),
    runStep('after', SAY_BODY, { needs: ['flaky'] }),
  ]);
}

/** nap (`sleep: 2s`, no process) → wake. */
export function sleeper(markersDir: string, duration = '2s'): WorkflowDoc {
  return workflow('chaos-sleeper', markersDir, [
    { id: 'nap', sleep: duration },
    runStep('wake', SAY_BODY, { needs: ['nap'] }),
  ]);
}

/** One step of `seconds` that prints a line at its end (long step, early kill, SIGTERM). */
export function single(
  id: string,
  markersDir: string,
  seconds: number,
  extra: Record<string, unknown> = {},
): WorkflowDoc {
  return workflow(id, markersDir, [runStep('work', sleepBody(seconds) + SAY_BODY, extra)]);
}

/**
 * hold (10 s) → done: for killing the server and the host while `hold` runs. Long enough that
 * the next server (4–6 s to start on a loaded 2-core CI machine) reaps it before it could end
 * unwatched: a lost process that ran to its end while nobody recorded its exit is rerun too.
 */
export function holding(markersDir: string): WorkflowDoc {
  return workflow('chaos-hold', markersDir, [
    runStep('hold', sleepBody(10)),
    runStep('done', SAY_BODY, { needs: ['hold'] }),
  ]);
}

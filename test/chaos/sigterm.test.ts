/**
 * Chaos, case 4: SIGTERM while a step runs longer than the shutdown timeout. The service exits
 * within STATOR_SHUTDOWN_TIMEOUT (3 s here), leaving the step's process running; after the
 * restart the run completes and the step ran once (7 s here instead of the 30 s, to
 * keep the folder within its time budget; still longer than the timeout).
 *
 * And its counterpart, `--stop-processes`: the step's process is stopped (it ignores SIGTERM, so
 * the stop takes the kill grace, during which `execute` answers 503 `shutting_down` with
 * Retry-After), the step is stored `interrupted` as a lost attempt, and after the restart the
 * run completes with the step's next attempt.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connectHost } from '../../src/host/index.ts';
import { createSqliteStore, type ExecutionRecord } from '../../src/store/index.ts';
import { missingOutput, notCompleted, stepRecordViolations } from './checks.ts';
import { createRig, disposeRigs, sleep } from './harness.ts';
import { markedSteps, markersOf, overlapViolations, rerunViolations } from './markers.ts';
import { sleepBody, SAY_BODY } from './markers.ts';
import { isAlive } from './procfs.ts';
import { runStep, single, workflow } from './workloads.ts';

const SHUTDOWN_TIMEOUT_MS = 3000;
/** Process exit and the kernel's bookkeeping on a busy two-core machine. */
const EXIT_SLACK_MS = 1000;
const STEP_SECONDS = 7;

afterEach(disposeRigs);

/** The record as the server left it in its SQLite file (read while no server runs). */
async function storedRecord(dataDir: string, id: string): Promise<ExecutionRecord | undefined> {
  const store = createSqliteStore({ path: join(dataDir, 'stator.db') });
  try {
    return await store.getExecution(id);
  } finally {
    await store.close();
  }
}

/** The process host's view of a held process (no host started if none runs). */
async function heldByHost(dataDir: string, key: string) {
  const host = await connectHost({ dataDir, startIfMissing: false });
  try {
    return (await host.list()).find((p) => p.key === key);
  } finally {
    host.close();
  }
}

describe('chaos: SIGTERM during a long step', () => {
  it(
    `exits within STATOR_SHUTDOWN_TIMEOUT; after restart the ${STEP_SECONDS} s step completes, run once`,
    { timeout: 45_000 },
    async () => {
      const rig = await createRig('sigterm', {
        env: { STATOR_SHUTDOWN_TIMEOUT: `${SHUTDOWN_TIMEOUT_MS / 1000}s` },
      });
      const { api, markersDir } = rig;
      await rig.start();
      const doc = single('chaos-term', markersDir, STEP_SECONDS);
      await api.register(doc);
      const id = await api.execute('chaos-term');
      const started = await rig.waitForMarker(
        (m) => m.executionId === id && m.kind === 'start',
        10_000,
      );
      await sleep(300);

      const exit = await rig.server().terminate();
      console.log(
        `[chaos] sigterm: exited in ${exit.ms} ms (code ${exit.code}, signal ${exit.signal})`,
      );
      expect
        .soft(
          exit.ms,
          `exit within STATOR_SHUTDOWN_TIMEOUT (${SHUTDOWN_TIMEOUT_MS} ms) + ${EXIT_SLACK_MS} ms`,
        )
        .toBeLessThanOrEqual(SHUTDOWN_TIMEOUT_MS + EXIT_SLACK_MS);
      expect.soft(exit.code, 'a graceful exit').toBe(0);
      expect
        .soft(isAlive(started.pid), 'the step process keeps running after the server exited')
        .toBe(true);
      // The host still holds it under its attempt's key, for the next start to re-attach.
      expect
        .soft(await heldByHost(rig.dataDir, `step:${id}:work:1`), 'held by the process host')
        .toMatchObject({ state: 'running', pid: started.pid });
      // The run is stored as it was: nothing the stopping actors reported reached the store.
      const stored = await storedRecord(rig.dataDir, id);
      expect.soft(stored?.status, 'stored run status').toBe('running');
      expect
        .soft(
          stored?.steps.find((s) => s.id === 'work'),
          'stored step',
        )
        .toMatchObject({ status: 'running', attempts: 1, error: null });

      await rig.start();
      const records = await rig.waitFinal([id], STEP_SECONDS * 1000 + 15_000);
      const markers = rig.markers();
      expect.soft(notCompleted(records), 'run did not complete').toEqual([]);
      expect
        .soft(
          stepRecordViolations(records, () => ({ attempts: 1, maxLost: 0 })),
          'step record',
        )
        .toEqual([]);
      const work = records.get(id)?.steps.find((s) => s.id === 'work');
      expect.soft(work?.exitCode, 'exit code of the step').toBe(0);
      expect
        .soft(rerunViolations(markers, markedSteps(markers, [id])), 'ran more than once')
        .toEqual([]);
      expect.soft(overlapViolations(markers), 'overlapping copies').toEqual([]);
      expect
        .soft(await missingOutput(api, records, new Map([[doc.id, doc]])), 'lost output')
        .toEqual([]);
      expect(await rig.orphans(), 'step processes still alive').toEqual([]);
    },
  );

  it(
    '--stop-processes: 503 shutting_down while stopping, the step interrupted, then rerun after restart',
    { timeout: 45_000 },
    async () => {
      const timeoutMs = 6000;
      const rig = await createRig('sigterm-stop', {
        env: { STATOR_SHUTDOWN_TIMEOUT: `${timeoutMs}ms` },
        args: ['--stop-processes'],
      });
      const { api, markersDir } = rig;
      await rig.start();
      // The first attempt ignores SIGTERM (its child too), so its stop takes the kill grace
      // (2 s); a later attempt just finishes.
      const firstIgnoresTerm = `if [ "$STATOR_ATTEMPT" = 1 ]; then trap '' TERM; ${sleepBody(30).trim()}; fi\n`;
      const doc = workflow('chaos-stop', markersDir, [
        runStep('work', firstIgnoresTerm + SAY_BODY),
      ]);
      await api.register(doc);
      const id = await api.execute('chaos-stop');
      const started = await rig.waitForMarker(
        (m) => m.executionId === id && m.kind === 'start',
        10_000,
      );
      await sleep(300);

      const server = rig.server();
      const exiting = server.terminate();
      await sleep(200);
      const refused = await fetch(`${server.url}/api/workflows/chaos-stop/execute`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      const body = (await refused.json()) as { error?: { code: string; recoverable: boolean } };
      expect.soft(refused.status, 'execute while shutting down').toBe(503);
      expect
        .soft(body.error, 'error body')
        .toMatchObject({ code: 'shutting_down', recoverable: true });
      expect
        .soft(Number(refused.headers.get('retry-after')), 'Retry-After')
        .toBeGreaterThanOrEqual(1);

      const exit = await exiting;
      console.log(`[chaos] sigterm --stop-processes: exited in ${exit.ms} ms (code ${exit.code})`);
      expect
        .soft(exit.ms, `exit within ${timeoutMs} ms + ${EXIT_SLACK_MS} ms`)
        .toBeLessThanOrEqual(timeoutMs + EXIT_SLACK_MS);
      expect.soft(isAlive(started.pid), 'the step process was stopped').toBe(false);
      expect.soft(await rig.orphans([], 0), 'step processes still alive').toEqual([]);
      const stored = await storedRecord(rig.dataDir, id);
      expect.soft(stored?.status, 'stored run status').toBe('running');
      expect
        .soft(
          stored?.steps.find((s) => s.id === 'work'),
          'stored step',
        )
        .toMatchObject({ status: 'interrupted', attempts: 1, lostAttempts: 1, exitCode: null });

      await rig.start();
      const records = await rig.waitFinal([id], 20_000);
      expect.soft(notCompleted(records), 'run did not complete').toEqual([]);
      expect
        .soft(
          stepRecordViolations(records, () => ({ attempts: 2, minLost: 1, maxLost: 1 })),
          'step record',
        )
        .toEqual([]);
      const mine = markersOf(rig.markers(), id, 'work');
      expect
        .soft(
          mine.map((m) => `${m.attempt} ${m.kind}`),
          'attempt 1 stopped, attempt 2 ran to its end',
        )
        .toEqual(['1 start', '2 start', '2 end']);
      expect.soft(overlapViolations(rig.markers()), 'overlapping copies').toEqual([]);
      expect(await rig.orphans(), 'step processes still alive').toEqual([]);
    },
  );
});

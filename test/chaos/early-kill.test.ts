/**
 * Chaos, case 3: kill -9 of the server 20–200 ms after a step started (seen in the marker
 * file), the window in which a step used to be missing from the pid registry. After the
 * restart the step runs exactly once to its end: never beside its own retry, never again, and
 * its record shows one attempt.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { missingOutput, notCompleted, stepRecordViolations } from './checks.ts';
import { createRig, disposeRigs, sleep } from './harness.ts';
import { markedSteps, overlapViolations, rerunViolations, type Marker } from './markers.ts';
import { single } from './workloads.ts';

const KILLS = 3;
const RUNS_PER_KILL = 2;

afterEach(disposeRigs);

describe('chaos: kill -9 just after a step started', () => {
  it(
    `${KILLS} kills 20–200 ms after a step starts: each step runs exactly once`,
    { timeout: 60_000 },
    async () => {
      const rig = await createRig('early-kill');
      const { api, random, markersDir } = rig;
      await rig.start();
      // Attempts to spare: a copy the restart missed would run beside its own retry. 6 s outlasts
      // the restart (1-2 s), so such a copy is still alive when the retry starts.
      const doc = single('chaos-once', markersDir, 6, {
        retry: { attempts: 3, backoff: '100ms' },
      });
      await api.register(doc);

      const accepted: string[] = [];
      const ages: number[] = [];
      for (let k = 0; k < KILLS; k++) {
        const ids = await Promise.all(
          Array.from({ length: RUNS_PER_KILL }, () => api.execute('chaos-once')),
        );
        accepted.push(...ids);
        const starts: Marker[] = [];
        for (const id of ids) {
          starts.push(
            await rig.waitForMarker((m) => m.executionId === id && m.kind === 'start', 10_000),
          );
        }
        // One band of [20, 200] ms per kill and a seeded age within it for the oldest step;
        // the youngest is at least 20 ms old.
        const band = 180 / KILLS;
        const age = 20 + Math.round(band * k) + random.int(0, Math.floor(band));
        const oldest = Math.min(...starts.map((m) => m.ms));
        const youngest = Math.max(...starts.map((m) => m.ms));
        await sleep(Math.max(0, Math.max(oldest + age, youngest + 20) - Date.now()));
        const killedAt = await rig.kill9();
        ages.push(...starts.map((m) => killedAt - m.ms));
        await rig.start();
      }
      console.log(`[chaos] early-kill: step ages at the kills (ms): ${ages.join(', ')}`);

      const records = await rig.waitFinal(accepted, 20_000);
      const markers = rig.markers();
      expect.soft(notCompleted(records), 'runs that did not complete').toEqual([]);
      expect
        .soft(
          stepRecordViolations(records, () => ({ attempts: 1, maxLost: 0 })),
          'step records',
        )
        .toEqual([]);
      expect
        .soft(rerunViolations(markers, markedSteps(markers, accepted)), 'ran more than once')
        .toEqual([]);
      expect.soft(overlapViolations(markers), 'overlapping copies').toEqual([]);
      expect
        .soft(await missingOutput(api, records, new Map([[doc.id, doc]])), 'lost output')
        .toEqual([]);
      expect(await rig.orphans(), 'step processes still alive').toEqual([]);
    },
  );
});

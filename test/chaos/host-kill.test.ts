/**
 * Chaos, case 2: kill -9 of the server and of its process host together, then a restart on the
 * same data directory. The steps that were running lost their processes: the new host kills
 * what is left of them (by the recorded process group) before they run again, they run again
 * without using up their own attempts (`lostAttempts` ≥ 1), and two copies never overlap. A
 * `sleep` step has no process: it is not lost, it resumes with what is left.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  durableSleepViolations,
  missingOutput,
  notCompleted,
  stepRecordViolations,
} from './checks.ts';
import { createRig, disposeRigs, sleep } from './harness.ts';
import {
  countKinds,
  markedSteps,
  markersOf,
  overlapViolations,
  rerunViolations,
} from './markers.ts';
import { holding, sleeper, type WorkflowDoc } from './workloads.ts';

afterEach(disposeRigs);

describe('chaos: kill -9 of the server and the process host', () => {
  it(
    'runs complete; running steps are re-run once (lostAttempts ≥ 1), never beside a copy',
    { timeout: 60_000 },
    async () => {
      const rig = await createRig('host-kill');
      const { api, random, markersDir } = rig;
      await rig.start();
      const docs = new Map<string, WorkflowDoc>(
        [holding(markersDir), sleeper(markersDir, '3s')].map((d) => [d.id, d]),
      );
      for (const doc of docs.values()) await api.register(doc);
      const holds = [
        await api.execute('chaos-hold'),
        await api.execute('chaos-hold'),
        await api.execute('chaos-hold'),
      ];
      const nap = await api.execute('chaos-sleeper');
      for (const id of holds) {
        await rig.waitForMarker((m) => m.executionId === id && m.kind === 'start', 15_000);
      }
      await sleep(random.int(100, 800));

      const hostPids = rig.hostPids();
      expect
        .soft(hostPids, `a process host of ${rig.dataDir} (pid file, socket owner or process)`)
        .not.toEqual([]);
      await rig.kill9WithHost();
      await sleep(random.int(0, 500));
      await rig.start();

      const records = await rig.waitFinal([...holds, nap], 30_000);
      const markers = rig.markers();
      expect.soft(notCompleted(records), 'runs that did not complete').toEqual([]);
      expect
        .soft(
          stepRecordViolations(records, (workflowId, step) =>
            workflowId === 'chaos-hold' && step.id === 'hold'
              ? { minLost: 1, maxLost: 3 }
              : { attempts: 1, maxLost: 0 },
          ),
          'step records (hold lost its process; nothing else was lost)',
        )
        .toEqual([]);
      const notRerun = holds
        .map((id) => ({ id, n: countKinds(markersOf(markers, id, 'hold')) }))
        .filter(({ n }) => n.start < 2)
        .map(
          ({ id, n }) =>
            `${id}/hold: started ${n.start}× (its process was lost: expected a re-run)`,
        );
      expect.soft(notRerun, 'lost steps re-run').toEqual([]);
      expect
        .soft(
          rerunViolations(markers, markedSteps(markers, [...holds, nap]), (key) =>
            key.endsWith('/hold') ? 3 : 0,
          ),
          'reruns',
        )
        .toEqual([]);
      expect.soft(overlapViolations(markers), 'overlapping copies').toEqual([]);
      expect.soft(await missingOutput(api, records, docs), 'lost output').toEqual([]);
      expect
        .soft(
          durableSleepViolations(records, 'chaos-sleeper', 'nap', 3000, rig.upIntervals()),
          'sleep step',
        )
        .toEqual([]);
      expect(await rig.orphans(), 'step processes still alive').toEqual([]);
    },
  );
});

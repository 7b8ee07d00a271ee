/**
 * Chaos, case 1: kill -9 of the server at random points of a mixed workload (chains, a
 * fan-out, a retry that fails once, durable `sleep` steps, one 8 s step), restarted each time
 * on the same data directory. Every accepted run completes, no step runs twice or beside a
 * copy of itself, `sleep` steps resume with what is left, no process is orphaned, and a step
 * that finished while the server was down keeps its exit code and output.
 * Rounds: STATOR_CHAOS_ROUNDS (default 3); seed: STATOR_CHAOS_SEED.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  describeRun,
  durableSleepViolations,
  missingOutput,
  notCompleted,
  stepRecordViolations,
} from './checks.ts';
import { createRig, disposeRigs, sleep } from './harness.ts';
import { markedSteps, overlapViolations, rerunViolations, saidLogLine } from './markers.ts';
import {
  FAILS_ONCE,
  chain,
  fanOut,
  retrying,
  single,
  sleeper,
  type WorkflowDoc,
} from './workloads.ts';

const ROUNDS = Math.max(1, Number(process.env.STATOR_CHAOS_ROUNDS ?? 3));

afterEach(disposeRigs);

describe('chaos: kill -9 of the server', () => {
  it(
    `${ROUNDS} kill -9 points of a mixed workload: nothing lost, failed, doubled or orphaned`,
    { timeout: 40_000 + ROUNDS * 15_000 },
    async () => {
      const rig = await createRig('server-kill');
      const { api, random, markersDir } = rig;
      await rig.start();
      const docs = new Map<string, WorkflowDoc>(
        [
          chain(markersDir),
          fanOut(markersDir),
          retrying(markersDir),
          sleeper(markersDir, '3s'),
          single('chaos-long', markersDir, 8),
          single('chaos-finisher', markersDir, 1.2),
        ].map((d) => [d.id, d]),
      );
      for (const doc of docs.values()) await api.register(doc);

      const accepted: string[] = [];
      const finishers: Array<{ id: string; endedWhileDown: boolean }> = [];
      for (let round = 0; round < ROUNDS; round++) {
        const batch = [
          'chaos-chain',
          'chaos-chain',
          'chaos-fanout',
          'chaos-retry',
          'chaos-sleeper',
        ];
        if (round === 0) batch.push('chaos-long');
        for (const workflowId of batch) accepted.push(await api.execute(workflowId));
        await sleep(random.int(0, 1200));
        // The kill point: while a 1.2 s step runs, so that it ends while no server is up.
        const finisher = await api.execute('chaos-finisher');
        accepted.push(finisher);
        const isFinisher = (kind: string) => (m: { executionId: string; kind: string }) =>
          m.executionId === finisher && m.kind === kind;
        await rig.waitForMarker(isFinisher('start'), 10_000);
        await sleep(random.int(20, 600));
        await rig.kill9();
        const endedWhileDown = await rig.waitForMarker(isFinisher('end'), 4000).then(
          () => true,
          () => false,
        );
        finishers.push({ id: finisher, endedWhileDown });
        await sleep(random.int(0, 400));
        await rig.start();
      }

      const records = await rig.waitFinal(accepted, 30_000);
      const markers = rig.markers();

      // (1) every accepted run completes
      expect.soft(notCompleted(records), 'runs that did not complete').toEqual([]);
      // every step settled succeeded, never interrupted; only the flaky step used a 2nd attempt
      expect
        .soft(
          stepRecordViolations(records, (_, step) => ({
            attempts: FAILS_ONCE.has(step.id) ? 2 : 1,
            maxLost: 0,
          })),
          'step records',
        )
        .toEqual([]);
      // (2) no step that succeeded ran twice; no copy vanished
      expect.soft(rerunViolations(markers, markedSteps(markers, accepted)), 'reruns').toEqual([]);
      // (3) no two copies of a step at once
      expect.soft(overlapViolations(markers), 'overlapping copies').toEqual([]);
      // output is kept, including what was written while the server was down
      expect.soft(await missingOutput(api, records, docs), 'lost output').toEqual([]);
      // durable time: a 3 s sleep ends at its stored deadline (or when a server is next up)
      expect
        .soft(
          durableSleepViolations(records, 'chaos-sleeper', 'nap', 3000, rig.upIntervals()),
          'sleep steps',
        )
        .toEqual([]);
      // a step that finished while the server was down keeps its exit code and its output
      const finisherProblems: string[] = [];
      for (const { id, endedWhileDown } of finishers) {
        if (!endedWhileDown)
          finisherProblems.push(
            `${id}/work: its process did not run to its end while the server was down`,
          );
        const r = records.get(id);
        const work = r?.steps.find((s) => s.id === 'work');
        if (
          !r ||
          !work ||
          work.status !== 'succeeded' ||
          work.exitCode !== 0 ||
          work.attempts !== 1
        )
          finisherProblems.push(
            `${id}/work: expected succeeded, exit 0, 1 attempt; got ${r ? describeRun(r) : 'no record'} ` +
              `(work: ${work?.status}, exit ${work?.exitCode}, attempts ${work?.attempts})`,
          );
        const logs = r ? await api.logs(id) : '';
        if (!logs.includes(saidLogLine(id, 'work')))
          finisherProblems.push(`${id}/work: output missing`);
      }
      expect.soft(finisherProblems, 'steps that finished while the server was down').toEqual([]);
      // (4) no orphan
      expect(await rig.orphans(), 'step processes still alive').toEqual([]);
    },
  );
});

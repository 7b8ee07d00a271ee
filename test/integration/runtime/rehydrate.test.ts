import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { createMemoryBus, type Bus } from '../../../src/bus/index.ts';
import { actorWildcard } from '../../../src/bus/subjects.ts';
import type { StampedEvent } from '../../../src/events.ts';
import { waitGone } from '../../fixtures/exec/process-tracker.ts';
import { readPid, startStator, tempDir, type TestStator } from '../../helpers/stator.ts';
import { waitFor } from '../../helpers/poll.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const SERVE_ONCE = join(ROOT, 'test', 'fixtures', 'runtime', 'serve-once.ts');
const SLOW = 90_000;

describe('runtime: rehydration after a crash', () => {
  let dataDir: Awaited<ReturnType<typeof tempDir>>;
  let files: Awaited<ReturnType<typeof tempDir>>;
  let child: ResultPromise | undefined;
  let bus: Bus | undefined;
  let t: TestStator | undefined;
  let orphan: number | undefined;

  beforeEach(async () => {
    dataDir = await tempDir('stator-rt-crash-');
    files = await tempDir();
  });
  afterEach(async () => {
    if (child?.pid && child.exitCode === null) killGroup(child.pid);
    await child?.catch(() => undefined);
    if (orphan) killGroup(orphan);
    await t?.close();
    await bus?.close();
    await dataDir.remove();
    await files.remove();
  });

  it(
    'resumes an unfinished run: the running step is interrupted and re-run, settled steps stay',
    { timeout: SLOW },
    async () => {
      // 1. A separate Stator process starts the run and is SIGKILLed while b runs.
      child = execa('npx', ['tsx', SERVE_ONCE, dataDir.path, files.path], {
        cwd: ROOT,
        detached: true,
        reject: false,
        stdin: 'ignore',
        timeout: SLOW,
      });
      const executionId = await firstLine(child).then((l) => JSON.parse(l).executionId as string);
      // b's shell execs `sleep 30`: the pid is the sleep, and leads its own process group.
      orphan = await readPid(join(files.path, 'b.pid'), 30_000);
      killGroup(child.pid!);
      await child;
      // The runner puts every step in its own process group, so the server's death does not
      // take b along: end the orphan as a supervisor would before the restart.
      killGroup(orphan);
      expect(await waitGone(orphan, 10_000)).toBe(true);

      // 2. A new Stator on the same data directory picks the run up.
      const seen: StampedEvent[] = [];
      bus = createMemoryBus();
      bus.subscribe(actorWildcard('out', 'execution'), (msg) => seen.push(msg.json()));
      t = await startStator({ dataDir: dataDir.path, bus, node: 'rescue-node' });
      const record = await t.finish(executionId, 30_000);

      expect(record.status).toBe('completed');
      expect(record.node).toBe('rescue-node');
      expect(record.steps).toMatchObject([
        { id: 'a', status: 'succeeded', attempts: 1, exitCode: 0 },
        { id: 'b', status: 'succeeded', attempts: 2, exitCode: 0 },
      ]);
      // a ran once, in the first process only.
      expect((await readFile(join(files.path, 'a-runs'), 'utf8')).trim()).toBe('attempt 1');

      await waitFor(() => seen.some((e) => e.type === 'execution.completed'));
      const types = seen.map((e) => `${e.type}${'stepId' in e ? ` ${e.stepId}` : ''}`);
      expect(types[0]).toBe('step.interrupted b');
      // b is re-run exactly once (run-ledger.ts createLedger must not queue it twice).
      expect(types.filter((x) => x === 'step.started b')).toEqual(['step.started b']);
      expect(types).not.toContain('step.started a');
      expect(types.at(-1)).toBe('execution.completed');
      const interrupted = seen[0] as StampedEvent & { attempt: number };
      expect(interrupted.attempt).toBe(1);
      const restarted = seen.find((e) => e.type === 'step.started') as StampedEvent & {
        attempt: number;
      };
      expect(restarted.attempt).toBe(2);
      expect(await t.stator.logs(executionId, { stepId: 'b' })).toContain(
        'b stdout | resumed on attempt 2\n',
      );
    },
  );
});

/** Resolves with the first stdout line of `proc`; rejects if it exits first. */
function firstLine(proc: ResultPromise): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let stderr = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const nl = buffer.indexOf('\n');
      if (nl >= 0) resolve(buffer.slice(0, nl));
    });
    void proc.then((r) => reject(new Error(`serve-once exited (${r.exitCode}): ${stderr}`)));
  });
}

/** SIGKILLs the process group led by `pid`, ignoring a group that is already gone. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

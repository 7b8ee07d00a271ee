import { afterEach, describe, expect, it } from 'vitest';
import { createExecaRunner } from '../../../src/exec/index.ts';
import type { Spawner } from '../../../src/exec/index.ts';
import { lineSink, runProcessRunnerConformance } from '../../conformance/process-runner.case.ts';
import { ProcessTracker } from '../../fixtures/exec/process-tracker.ts';

for (const spawner of ['node', 'execa'] satisfies Spawner[]) {
  runProcessRunnerConformance({
    name: `createExecaRunner (spawner=${spawner})`,
    create: (options) => createExecaRunner({ spawner, ...options }),
  });
}

describe.each<Spawner>(['node', 'execa'])('createExecaRunner specifics (spawner=%s)', (spawner) => {
  const tracker = new ProcessTracker();
  afterEach(() => tracker.killSurvivors());

  it('hands process.env over unchanged when neither a base nor a spec env is given', async () => {
    process.env.STATOR_TEST_INHERITED = 'inherited';
    try {
      const sink = lineSink();
      const res = await createExecaRunner({ spawner }).run({
        script: 'echo "$STATOR_TEST_INHERITED"',
        onLine: sink.onLine,
      });
      tracker.track(res.pid);
      expect(sink.lines.stdout).toEqual(['inherited']);
    } finally {
      delete process.env.STATOR_TEST_INHERITED;
    }
  });

  it('passes no line offsets (it spools nothing)', async () => {
    const offsets: Array<number | undefined> = [];
    const res = await createExecaRunner({ spawner }).run({
      script: 'echo a; echo b',
      onLine: (_s, _l, offset) => offsets.push(offset),
    });
    tracker.track(res.pid);
    expect(offsets).toEqual([undefined, undefined]);
  });
});

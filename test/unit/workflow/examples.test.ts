import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { planDag } from '../../../src/workflow/dag.ts';
import { loadWorkflowDir, loadWorkflowFile } from '../../../src/workflow/parse.ts';
import { stepEnvironment } from '../../../src/workflow/step-env.ts';
import type { RunStep } from '../../../src/workflow/types.ts';

const examples = join(import.meta.dirname, '../../../examples');
const run = promisify(execFile);

describe('examples/', () => {
  let tmp: string | undefined;
  afterEach(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
    tmp = undefined;
  });

  it('every example passes parseWorkflow', async () => {
    const files = (await readdir(examples)).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
    expect(files).toEqual(
      expect.arrayContaining(['diamond.yaml', 'hello.yaml', 'parallel.json', 'retry.yaml']),
    );
    const results = await loadWorkflowDir(examples);
    expect(results.filter((r) => !r.ok)).toEqual([]);
  });

  it('diamond and parallel plan as documented', async () => {
    const diamond = planDag(await loadWorkflowFile(join(examples, 'diamond.yaml')));
    expect(diamond.levels).toEqual([['a'], ['b', 'c'], ['d']]);
    const parallel = planDag(await loadWorkflowFile(join(examples, 'parallel.json')));
    expect(parallel.levels.map((l) => l.length)).toEqual([1, 4, 1]);
  });

  it('retry.yaml fails twice, then succeeds, per execution id', async () => {
    const def = await loadWorkflowFile(join(examples, 'retry.yaml'));
    const step = def.steps.find((s) => s.id === 'flaky') as RunStep;
    expect(step.retry).toMatchObject({ attempts: 3, backoffMs: 100, factor: 2 });
    tmp = await mkdtemp(join(tmpdir(), 'stator-retry-'));
    const codes: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const env = stepEnvironment({ def, step, executionId: 'exec-42', attempt, inputs: {} });
      const code = await run(step.shell, ['-c', step.run], {
        env: { ...process.env, ...env, TMPDIR: tmp },
      }).then(
        () => 0,
        (err: { code: number }) => err.code,
      );
      codes.push(code);
    }
    expect(codes).toEqual([1, 1, 0]);
    expect(await readdir(tmp)).toEqual([]); // the counter file is removed on success
  });
});

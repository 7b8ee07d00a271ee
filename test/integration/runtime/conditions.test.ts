/**
 * `if:` and `needs.when` end to end, with real processes and a SQLite store: a condition over
 * an input and an earlier step's output decides whether a step runs; its dependents are skipped
 * unless they run `always`; the records and events say why; a skipped step's process never ran.
 */
import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { useStator } from '../../helpers/use-stator.ts';

describe('step conditions', () => {
  const t = useStator({ start: 'manual' });

  const workflow = (files: string) => ({
    id: 'release',
    inputs: { branch: { type: 'string', default: 'main' } },
    steps: [
      {
        id: 'check',
        run: 'echo "ready=$([ "$INPUT_BRANCH" = main ] && echo yes || echo no)" >> "$STATOR_OUTPUT"',
      },
      {
        id: 'deploy',
        needs: ['check'],
        if: 'inputs.branch == "main" && steps.check.outputs.ready == "yes"',
        exec: ['touch', `${files}/deployed`],
      },
      { id: 'announce', needs: ['deploy'], exec: ['touch', `${files}/announced`] },
      {
        id: 'report',
        needs: { steps: ['deploy'], when: 'always' },
        exec: ['touch', `${files}/reported`],
      },
    ],
  });

  it('run the steps whose condition holds', async () => {
    await t.start();
    await t.stator.registerWorkflow(workflow(t.files));
    const { record } = await t.run('release', { branch: 'main' }, 30_000);
    expect(record.status).toBe('completed');
    expect(record.steps.map((s) => [s.id, s.status])).toEqual([
      ['check', 'succeeded'],
      ['deploy', 'succeeded'],
      ['announce', 'succeeded'],
      ['report', 'succeeded'],
    ]);
    expect((await readdir(t.files)).sort()).toEqual(['announced', 'deployed', 'reported']);
  });

  it('skip a step whose condition is false and its dependents, but not an always step', async () => {
    await t.start();
    await t.stator.registerWorkflow(workflow(t.files));
    const { record, events } = await t.run('release', { branch: 'feature' }, 30_000);
    expect(record.status).toBe('completed');
    expect(record.steps.map((s) => [s.id, s.status, s.error])).toEqual([
      ['check', 'succeeded', null],
      [
        'deploy',
        'skipped',
        'if: inputs.branch == "main" && steps.check.outputs.ready == "yes" is false',
      ],
      ['announce', 'skipped', "its needs did not end as 'when: success' asks"],
      ['report', 'succeeded', null],
    ]);
    expect(events.filter((e) => e.type === 'step.skipped').map((e) => e.stepId)).toEqual([
      'deploy',
      'announce',
    ]);
    // Neither skipped step's process ever ran.
    expect(await readdir(t.files)).toEqual(['reported']);
  });
});

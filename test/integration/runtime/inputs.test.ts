import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { rejection } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

describe('runtime: inputs reach steps as data, never as code', () => {
  const t = useStator({
    store: 'memory',
    workflows: [
      {
        id: 'greet',
        inputs: { name: { default: 'world', type: 'string' } },
        steps: [
          { id: 'shell', run: 'printf "%s\\n" "hello $INPUT_NAME"' },
          { id: 'argv', exec: ['printf', '[%s]\\n', '${{ inputs.name }}'] },
        ],
      },
    ],
  });

  it('passes INPUT_NAME from the declared default', async () => {
    const { record } = await t.run('greet');
    expect(record.status).toBe('completed');
    expect(record.input).toEqual({ name: 'world' });
    const logs = await t.stator.logs(record.id);
    expect(logs).toContain('shell stdout | hello world\n');
    expect(logs).toContain('argv stdout | [world]\n');
  });

  it('passes INPUT_NAME from the execute input', async () => {
    const { record } = await t.run('greet', { name: 'Ada Lovelace' });
    expect(record.status).toBe('completed');
    const logs = await t.stator.logs(record.id);
    expect(logs).toContain('shell stdout | hello Ada Lovelace\n');
    // One argv item, spaces and all.
    expect(logs).toContain('argv stdout | [Ada Lovelace]\n');
  });

  it('prints command substitutions and backticks literally and runs none of them', async () => {
    const marker1 = join(t.files, 'pwned-dollar');
    const marker2 = join(t.files, 'pwned-backtick');
    const evil = `$(touch ${marker1}) \`touch ${marker2}\`; echo injected`;
    const { record } = await t.run('greet', { name: evil });
    expect(record.status).toBe('completed');
    const logs = await t.stator.logs(record.id);
    expect(logs).toContain(`shell stdout | hello ${evil}\n`);
    expect(logs).toContain(`argv stdout | [${evil}]\n`);
    expect(logs).not.toMatch(/^\S+ stdout \| injected$/m);
    expect(existsSync(marker1)).toBe(false);
    expect(existsSync(marker2)).toBe(false);
  });

  it('templates an exec argv item as exactly one argument', async () => {
    await t.stator.registerWorkflow({
      id: 'argv-count',
      inputs: { words: { type: 'string' } },
      steps: [{ id: 'count', exec: ['sh', '-c', 'echo "$#:$1"', 'sh', '${{ inputs.words }}'] }],
    });
    const { record } = await t.run('argv-count', { words: 'a b  c * "d"' });
    expect(record.status).toBe('completed');
    expect(await t.stator.logs(record.id)).toBe('count stdout | 1:a b  c * "d"\n');
  });

  it('sets the STATOR_* variables for every step', async () => {
    await t.stator.registerWorkflow({
      id: 'env-vars',
      steps: [
        {
          id: 'show',
          run: 'echo "$STATOR_WORKFLOW_ID|$STATOR_EXECUTION_ID|$STATOR_STEP_ID|$STATOR_ATTEMPT"',
        },
      ],
    });
    const { record } = await t.run('env-vars');
    expect(await t.stator.logs(record.id)).toBe(`show stdout | env-vars|${record.id}|show|1\n`);
  });

  it('rejects an undeclared input with invalid_argument and records nothing', async () => {
    const err = await rejection(t.stator.execute('greet', { name: 'x', extra: 1 }));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toMatch(/input\.extra/);
    expect((await t.stator.listExecutions()).items).toEqual([]);
  });

  it('rejects a missing required input with invalid_argument and records nothing', async () => {
    await t.stator.registerWorkflow({
      id: 'needs-target',
      inputs: { target: { type: 'string' } },
      steps: [{ id: 'go', run: 'echo "$INPUT_TARGET"' }],
    });
    const err = await rejection(t.stator.execute('needs-target'));
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toMatch(/input\.target: is required/);
    const wrongType = await rejection(t.stator.execute('needs-target', { target: 42 }));
    expect(wrongType.code).toBe('invalid_argument');
    expect((await t.stator.listExecutions()).items).toEqual([]);
    expect(t.events.filter((e) => e.type.startsWith('execution.'))).toEqual([]);
  });
});

/**
 * `forEach` end to end, with real processes and a SQLite store: the list comes from an earlier
 * step's outputs, each instance gets its item as `${{ item }}` (one argv item) and STATOR_ITEM,
 * no more than `concurrency` run at once (measured from the instances' own timestamps), the
 * step's outputs are the list of theirs, a failing instance fails the step and skips its
 * dependents, and hostile lists (too long, not a list, a huge item) fail with a clear error
 * before any process starts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useStator } from '../../helpers/use-stator.ts';

/** Most intervals [start, end] open at one time. */
function maxOverlap(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(([s, e]) => [
    [s, 1],
    [e, -1],
  ]);
  // Ends before starts at the same instant: touching intervals do not overlap.
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let open = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (open += d!));
  return most;
}

describe('forEach', () => {
  const t = useStator({ start: 'manual' });

  it('runs one instance per item, bounded by concurrency, and lists their outputs', async () => {
    await t.start();
    const log = join(t.files, 'log');
    await t.stator.registerWorkflow({
      id: 'fan',
      inputs: { n: { type: 'number' } },
      steps: [
        {
          id: 'list',
          run: 'echo "{\\"hosts\\": [\\"a b\\", \\"$(printf \'c;d\')\\", {\\"name\\": \\"e\\"}, 7, \\"f\\", \\"g\\", \\"h\\", \\"i\\"]}" > "$STATOR_OUTPUT"',
        },
        {
          id: 'each',
          needs: ['list'],
          forEach: 'steps.list.outputs.hosts',
          concurrency: 3,
          exec: [
            'sh',
            '-c',
            `s=$(date +%s%N); sleep 0.2; e=$(date +%s%N); echo "$s $e $STATOR_ITEM_INDEX" >> ${log}; echo "arg=$1" >> "$STATOR_OUTPUT"; echo "env=$STATOR_ITEM" >> "$STATOR_OUTPUT"`,
            'sh',
            '${{ item }}',
          ],
        },
        {
          id: 'count',
          needs: ['each'],
          if: 'size(steps.each.outputs) == 8 && steps.each.outputs[2].env == "{\\"name\\":\\"e\\"}"',
          run: 'test "$(printf %s "$STEPS_EACH_OUTPUTS" | head -c 20)" = \'[{"arg":"a b","env":\'',
        },
      ],
    });
    const { record, events } = await t.run('fan', { n: 1 }, 30_000);
    expect(record.error).toBeNull();
    expect(record.status).toBe('completed');
    const each = record.steps.find((s) => s.id === 'each')!;
    expect(each.status).toBe('succeeded');
    expect(each.items).toBe(8);
    expect(each.outputs).toEqual([
      { arg: 'a b', env: 'a b' },
      { arg: 'c;d', env: 'c;d' },
      { arg: '{"name":"e"}', env: '{"name":"e"}' },
      { arg: '7', env: '7' },
      ...['f', 'g', 'h', 'i'].map((x) => ({ arg: x, env: x })),
    ]);
    expect(record.steps.find((s) => s.id === 'count')!.status).toBe('succeeded');
    // One record per instance, each succeeded once.
    const instances = record.steps.filter((s) => s.id.startsWith('each['));
    expect(instances.map((s) => [s.id, s.status, s.attempts]).sort()).toEqual(
      Array.from({ length: 8 }, (_, n) => [`each[${n}]`, 'succeeded', 1]).sort(),
    );
    expect(events.find((e) => e.type === 'step.started' && e.stepId === 'each')).toMatchObject({
      items: 8,
    });
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(8);
    const intervals = lines.map((l) => {
      const [s, e] = l.split(' ').map(Number);
      return [s!, e!] as [number, number];
    });
    const most = maxOverlap(intervals);
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThan(1);
  });

  it('runs 1,000 items at concurrency 16, each exactly once', { timeout: 60_000 }, async () => {
    await t.start();
    const log = join(t.files, 'items');
    await t.stator.registerWorkflow({
      id: 'fan-1000',
      steps: [
        {
          id: 'each',
          forEach: Array.from({ length: 1000 }, (_, i) => `item-${i}`),
          concurrency: 16,
          exec: ['sh', '-c', `echo "$STATOR_ITEM" >> ${log}`],
        },
      ],
    });
    const { record } = await t.run('fan-1000', {}, 60_000);
    expect(record.status).toBe('completed');
    expect(record.steps).toHaveLength(1001);
    expect(record.steps[0]!.outputs).toHaveLength(1000);
    const seen = (await readFile(log, 'utf8')).trim().split('\n').sort();
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => `item-${i}`).sort());
  });

  it('fails the step when an instance fails; its dependents are skipped, always ones run', async () => {
    await t.start();
    await t.stator.registerWorkflow({
      id: 'fan-fail',
      steps: [
        {
          id: 'each',
          forEach: ['ok', 'bad', 'ok2'],
          concurrency: 1,
          exec: ['sh', '-c', 'test "$1" != bad', 'sh', '${{ item }}'],
        },
        { id: 'next', needs: ['each'], exec: ['true'] },
        { id: 'always', needs: { steps: ['each'], when: 'always' }, exec: ['true'] },
      ],
    });
    const { record } = await t.run('fan-fail', {}, 30_000);
    expect(record.status).toBe('failed');
    expect(record.error?.message).toMatch(/step 'each' failed: instance each\[1\] failed/);
    const status = Object.fromEntries(record.steps.map((s) => [s.id, s.status]));
    expect(status).toMatchObject({
      each: 'failed',
      'each[0]': 'succeeded',
      'each[1]': 'failed',
      next: 'skipped',
    });
    // The third item never started: the fan-out stops at its first failure.
    expect(status['each[2]']).toBeUndefined();
  });

  it('refuses hostile lists with a clear error before any process starts', async () => {
    await t.start();
    const marker = join(t.files, 'ran');
    await t.stator.registerWorkflow({
      id: 'fan-hostile',
      inputs: { xs: {} },
      steps: [{ id: 'each', forEach: 'inputs.xs', exec: ['touch', marker] }],
    });
    const cases: Array<[unknown, RegExp]> = [
      [Array.from({ length: 10_001 }, (_, i) => i), /forEach has 10001 items; at most 10000/],
      ['not a list', /forEach: yielded string, not a list/],
      [{ a: 1 }, /forEach: yielded object, not a list/],
      [['x'.repeat(70_000)], /forEach item 0 takes 70002 bytes as JSON; at most 65536 per item/],
    ];
    for (const [xs, message] of cases) {
      const { record } = await t.run('fan-hostile', { xs }, 30_000);
      expect(record.status).toBe('failed');
      expect(record.steps.find((s) => s.id === 'each')!.error).toMatch(message);
      expect(record.steps.filter((s) => s.id.startsWith('each['))).toEqual([]);
    }
    await expect(readFile(marker)).rejects.toThrow();
  });

  it('refuses at registration what cannot be a fan-out', async () => {
    await t.start();
    const register = (step: Record<string, unknown>) =>
      t.stator.registerWorkflow({ id: 'bad', steps: [{ id: 's', ...step }] });
    await expect(register({ forEach: '1 + 2', noop: true })).rejects.toThrow(
      /forEach: must yield a list, not int/,
    );
    await expect(
      register({ forEach: Array.from({ length: 10_001 }, () => 1), noop: true }),
    ).rejects.toThrow(/forEach has 10001 items; at most 10000 are run/);
    await expect(register({ exec: ['echo', '${{ item }}'] })).rejects.toThrow(
      /only set in a forEach step/,
    );
    await expect(register({ concurrency: 2, noop: true })).rejects.toThrow(
      /concurrency applies only to forEach steps/,
    );
    await expect(register({ forEach: 'steps.nope.outputs', noop: true })).rejects.toThrow(
      /no step 'nope'/,
    );
  });
});

/**
 * Chaos: kill -9 of the server in the middle of a forEach fan-out, then a restart on the same
 * data directory. Every item's instance appends its item to one file; once the run completes
 * each item is there exactly once: instances that succeeded before the kill never run again, the
 * ones running at the kill are re-attached (never started twice), the rest start after it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRig, disposeRigs, sleep } from './harness.ts';

afterEach(disposeRigs);

const ITEMS = 60;

async function lines(path: string): Promise<string[]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '');
}

describe('chaos: kill -9 of the server mid-fan-out', () => {
  it('every item completes exactly once', { timeout: 90_000 }, async () => {
    const rig = await createRig('for-each-kill');
    const { api, markersDir } = rig;
    const file = join(markersDir, 'items');
    await rig.start();
    await api.register({
      id: 'fan-kill',
      inputs: { xs: { type: 'array' } },
      steps: [
        {
          id: 'each',
          forEach: 'inputs.xs',
          concurrency: 6,
          exec: ['sh', '-c', `sleep 0.15; echo "$1" >> ${file}`, 'sh', '${{ item }}'],
        },
      ],
    });
    const xs = Array.from({ length: ITEMS }, (_, i) => `item-${i}`);
    const id = await api.execute('fan-kill', { xs });
    // Kill once part of the list has run (and some instances are running).
    const deadline = Date.now() + 30_000;
    while ((await lines(file)).length < ITEMS / 4) {
      if (Date.now() > deadline) throw new Error(`no progress\n${rig.diagnostics()}`);
      await sleep(20);
    }
    await rig.kill9();
    const atKill = (await lines(file)).length;
    await sleep(300);
    await rig.start();
    const records = await rig.waitFinal([id], 60_000);
    const record = records.get(id);
    expect(record?.status, rig.diagnostics()).toBe('completed');
    const seen = await lines(file);
    const counts = new Map<string, number>();
    for (const l of seen) counts.set(l, (counts.get(l) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...counts.keys()].sort()).toEqual([...xs].sort());
    expect(atKill).toBeLessThan(ITEMS);
    const each = record!.steps.find((s) => s.id === 'each');
    expect(each?.status).toBe('succeeded');
    const instances = record!.steps.filter((s) => s.id.startsWith('each['));
    expect(instances).toHaveLength(ITEMS);
    expect(instances.filter((s) => s.status !== 'succeeded' || s.attempts !== 1)).toEqual([]);
  });
});

/**
 * forEach fan-out cost: one run of a `forEach` step over 1,000 and 10,000 items at concurrency
 * 50, as `noop` instances and as `exec: [true]` processes, embedded with a SQLite store. Prints
 * the wall time, the time per instance, and the process's resident memory before, after and at
 * its peak (VmHWM). Flat per-instance time from 1,000 to 10,000 means no O(n^2) on the path.
 *
 *   npx tsx bench/for-each.ts [--quick]
 * @module
 */
import { memoryOf } from './lib/proc-stats.ts';
import { startStator } from './lib/stator-harness.ts';

const quick = process.argv.includes('--quick');
const sizes = quick ? [1_000, 3_000] : [1_000, 10_000];
const CONCURRENCY = 50;

const bench = await startStator();
const s = bench.stator;
const kinds: Array<[string, Record<string, unknown>]> = [
  ['noop', { noop: true }],
  ['exec true', { exec: ['true'] }],
];
try {
  for (const [kind, body] of kinds) {
    for (const n of sizes) {
      const id = `fan-${kind.replace(/\W/g, '')}-${n}`;
      // The list is literal: given as an input, it would also reach every instance's process
      // as INPUT_XS (all 10,000 items, once per spawn), which is the inputs' cost, not forEach's.
      await s.registerWorkflow({
        id,
        steps: [
          {
            id: 'each',
            forEach: Array.from({ length: n }, (_, i) => i),
            concurrency: CONCURRENCY,
            ...body,
          },
        ],
      });
      const before = memoryOf(process.pid);
      const t0 = performance.now();
      const { executionId } = await s.execute(id);
      const record = await s.waitForExecution(executionId, { timeoutMs: 600_000 });
      const ms = performance.now() - t0;
      const after = memoryOf(process.pid);
      if (record.status !== 'completed')
        throw new Error(`${id}: ${record.status} ${record.error?.message}`);
      const instances = record.steps.length - 1;
      console.log(
        `${kind.padEnd(9)} ${String(n).padStart(6)} items, concurrency ${CONCURRENCY}: ` +
          `${(ms / 1000).toFixed(2)} s, ${((ms * 1000) / n).toFixed(0)} µs/item, ` +
          `RSS ${before.rss.toFixed(0)} → ${after.rss.toFixed(0)} MiB (peak ${after.hwm.toFixed(0)}), ` +
          `${instances} instance records`,
      );
    }
  }
} finally {
  await bench.close();
}

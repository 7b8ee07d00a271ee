/**
 * Cron fire jitter against the wall-clock second, over N fires of an every-second schedule
 * (default 60), measured in one run, each contender in its own process so they do not delay
 * each other:
 *
 * - `timeout`: baseline, a bare `setTimeout` re-armed to the next whole second;
 * - `croner`: croner's `Cron('* * * * * *')` directly;
 * - `scheduler`: Stator's Scheduler seam over croner (src/triggers/croner-scheduler.ts);
 * - `stator`: the whole service, a workflow with `triggers: [{cron: {schedule: '*\/1 * * * * *'}}]`,
 *   timed when its `trigger.fired` event reaches an in-process subscriber (so it includes the
 *   trigger actor, the overlap check, the execute call and the monitor's delivery); the row
 *   `stator (event ts)` uses the `ts` the pipeline stamped on the same events instead.
 *
 * Jitter = |fire time - nearest whole second| (ms, sub-ms clock). Prints a markdown table.
 * Run: `npx tsx bench/cron-jitter.ts [--fires 60]`
 * @module
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const MODES = ['timeout', 'croner', 'scheduler', 'stator'] as const;
type Mode = (typeof MODES)[number];

const now = (): number => performance.timeOrigin + performance.now();
/** Signed offset from the nearest whole second, ms. */
const offset = (t: number): number => t - Math.round(t / 1000) * 1000;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

/** Runs one contender and resolves with its offsets. */
async function measure(mode: Mode, fires: number): Promise<number[]> {
  const offsets: number[] = [];
  // Schedulers unref their timers; this keeps the process alive until the last fire.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    return await measureWith(mode, fires, offsets);
  } finally {
    clearInterval(keepAlive);
  }
}

/** Stator only: offsets of the `ts` stamped on each trigger.fired (ms resolution). */
const stamped: number[] = [];

async function measureWith(mode: Mode, fires: number, offsets: number[]): Promise<number[]> {
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const record = (t: number): void => {
    offsets.push(offset(t));
    if (offsets.length >= fires) done();
  };
  if (mode === 'timeout') {
    const arm = (): void => {
      const t = now();
      setTimeout(
        () => {
          record(now());
          if (offsets.length < fires) arm();
        },
        1000 - (t % 1000),
      );
    };
    arm();
    await finished;
  } else if (mode === 'croner') {
    const { Cron } = await import('croner');
    const job = new Cron('* * * * * *', () => record(now()));
    await finished;
    job.stop();
  } else if (mode === 'scheduler') {
    const { createCronerScheduler } = await import('../src/triggers/croner-scheduler.ts');
    const handle = createCronerScheduler({ unref: false }).schedule('* * * * * *', {}, () =>
      record(now()),
    );
    await finished;
    handle.stop();
  } else {
    const { createStator } = await import('../src/index.ts');
    const dir = await mkdtemp(join(tmpdir(), 'stator-cron-bench-'));
    const stator = await createStator({ store: 'memory', dataDir: dir, busApi: false });
    try {
      stator.subscribe(
        (e) => {
          if (e.type !== 'trigger.fired') return;
          stamped.push(offset(Date.parse(e.ts)));
          record(now());
        },
        { filter: { type: 'trigger.fired' }, name: 'bench' },
      );
      await stator.registerWorkflow({
        id: 'every-second',
        triggers: [{ cron: { schedule: '*/1 * * * * *' } }],
        steps: [{ id: 'noop', run: 'true' }],
      });
      await finished;
    } finally {
      await stator.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return offsets.slice(0, fires);
}

async function child(mode: Mode, fires: number): Promise<void> {
  try {
    const offsets = await measure(mode, fires);
    process.send!({ mode, offsets });
    if (mode === 'stator')
      process.send!({ mode: 'stator (event ts)', offsets: stamped.slice(0, fires) });
  } catch (err) {
    process.send!({ mode, error: err instanceof Error ? err.message : String(err) });
  }
  process.disconnect();
  process.exit(0);
}

interface ChildResult {
  mode: string;
  offsets?: number[];
  error?: string;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { fires: { type: 'string', default: '60' }, child: { type: 'string' } },
  });
  const fires = Number(values.fires);
  if (values.child) return child(values.child as Mode, fires);

  console.error(`cron jitter: ${fires} fires per contender, ${MODES.length} processes at once`);
  const file = fileURLToPath(import.meta.url);
  const results = await Promise.all(
    MODES.map(
      (mode) =>
        new Promise<ChildResult[]>((resolve) => {
          const proc = fork(file, ['--child', mode, '--fires', String(fires)], {
            execArgv: ['--import', 'tsx'],
            stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
          });
          const got: ChildResult[] = [];
          proc.on('message', (m) => got.push(m as ChildResult));
          proc.on('exit', () => resolve(got.length ? got : [{ mode, error: 'no result' }]));
        }),
    ),
  ).then((lists) => lists.flat());

  const rows = results.map((r) => {
    if (!r.offsets) return `| ${r.mode} | n/a (${r.error}) | | | | |`;
    const abs = r.offsets.map(Math.abs).sort((a, b) => a - b);
    const signed = [...r.offsets].sort((a, b) => a - b);
    const f = (x: number) => x.toFixed(2);
    return `| ${r.mode} | ${r.offsets.length} | ${f(percentile(abs, 50))} | ${f(percentile(abs, 99))} | ${f(abs.at(-1)!)} | ${f(signed[0]!)} … ${f(signed.at(-1)!)} |`;
  });
  console.log(
    [
      '| contender | fires | p50 jitter ms | p99 jitter ms | max ms | signed range ms |',
      '|---|---:|---:|---:|---:|---:|',
      ...rows,
    ].join('\n'),
  );
}

await main();

/**
 * `npm run bench`: runs every benchmark in its own child process (a fresh heap each, since
 * spawn cost grows with the parent's memory), collects their reports and writes
 * bench/RESULTS.md. The hand-written interpretation between the markers is kept.
 *
 *   npm run bench [-- --reps 5] [-- --only a,c] [-- --quick] [-- --write | --no-write]
 *
 * A full run (all benchmarks, not --quick) writes RESULTS.md; a partial one prints only,
 * unless --write is given.
 * @module
 */
import { spawn } from 'node:child_process';
import { SERVICE_NODE_FLAGS } from '../bin/node-flags.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bullmqInstalled, INSTALL_HINT } from './lib/bullmq-loader.ts';
import { parseReport, renderReport, type BenchReport } from './lib/report.ts';
import { machineFacts } from './lib/stats.ts';
import { renderResults, type RunFacts } from './lib/results-file.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS = fileURLToPath(new URL('RESULTS.md', import.meta.url));

/** The benchmarks, by the letter the issue gives them. */
const BENCHES = [
  { id: 'a', file: 'bench/dag-spawn.ts' },
  { id: 'b', file: 'bench/noop-throughput.ts' },
  { id: 'c', file: 'bench/dag-scaling.ts' },
  { id: 'd', file: 'bench/bullmq-compare.ts', needs: 'bullmq' },
  // Issue 3: NATS mode (starts its own nats-server; BullMQ baseline).
  { id: 'nats', file: 'bench/nats-mode.ts', needs: 'bullmq' },
] as const;

function runChild(
  file: string,
  args: string[],
): Promise<{ code: number; stdout: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      // The service's own V8 flags (bin/stator.js, `npm start`): a 64 MiB young generation.
      ['--expose-gc', ...SERVICE_NODE_FLAGS, '--import', 'tsx', file, '--json', ...args],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, ms: performance.now() - t0 }));
  });
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: '5' },
      only: { type: 'string' },
      quick: { type: 'boolean', default: false },
      write: { type: 'boolean' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  const only = values.only?.split(',').map((s) => s.trim());
  const selected = BENCHES.filter((b) => !only || only.includes(b.id));
  const full = selected.length === BENCHES.length && !values.quick;
  const write = values['no-write'] ? false : (values.write ?? full);
  const childArgs = ['--reps', values.reps, ...(values.quick ? ['--quick'] : [])];

  const facts: RunFacts = {
    startedAt: new Date(),
    machine: machineFacts(),
    loadBefore: loadavg()[0]!,
    loadAfter: 0,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    totalSeconds: 0,
  };
  const t0 = performance.now();
  const reports: BenchReport[] = [];
  const failures: Array<{ id: string; message: string }> = [];
  for (const b of selected) {
    if ('needs' in b && !bullmqInstalled()) {
      console.error(`(${b.id}) skipped: ${INSTALL_HINT}`);
      failures.push({ id: b.id, message: `not run: ${INSTALL_HINT}` });
      continue;
    }
    console.error(`(${b.id}) ${b.file}`);
    const { code, stdout, ms } = await runChild(b.file, childArgs);
    const report = parseReport(stdout);
    if (code !== 0 || !report) {
      failures.push({
        id: b.id,
        message: `failed (exit ${code}); run \`npx tsx ${b.file}\` to see why`,
      });
      continue;
    }
    console.error(`(${b.id}) done in ${(ms / 1000).toFixed(1)} s`);
    console.log(renderReport(report));
    reports.push(report);
  }
  facts.loadAfter = loadavg()[0]!;
  facts.totalSeconds = (performance.now() - t0) / 1000;
  for (const f of failures) console.error(`(${f.id}) ${f.message}`);
  console.error(`total ${facts.totalSeconds.toFixed(0)} s`);

  if (write) {
    const previous = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '';
    writeFileSync(RESULTS, renderResults(reports, failures, facts, previous));
    console.error(`wrote ${RESULTS}`);
  } else {
    console.error('RESULTS.md left as it was (partial or quick run; pass --write to write it)');
  }
  return failures.length > 0 ? 1 : 0;
}

process.exitCode = await main();

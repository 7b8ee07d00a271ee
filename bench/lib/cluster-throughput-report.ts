/**
 * The report of bench/cluster-throughput.ts: one row per block of executions (Stator's rate,
 * BullMQ's rate in the same run, their ratio, and what each execution cost the client process
 * and the server), the latency row, and the issue's targets.
 * @module
 */
import { num } from './format.ts';
import type { Percentiles } from './load.ts';
import type { BenchReport } from './report.ts';
import { summarize } from './stats.ts';

/** One block of executions and its paired BullMQ block. */
export interface Block {
  /** Executions in the store when the block began. */
  historyBefore: number;
  /** Executions/s. */
  stator: number;
  /** Jobs/s, measured right after. */
  bullmq: number;
  /** CPU of the benchmark process (Stator, client, everything but the servers), µs per run. */
  nodeCpuUsPerExec: number;
  /** The same for BullMQ's block (queue and worker; Redis not included), µs per job. */
  bullCpuUsPerJob: number;
  /** JetStream API requests the server served per run (consumer creations, infos, ...). */
  apiCallsPerExec: number;
  /** Server CPU %, as `/varz` reported it after the block. */
  serverCpu: number;
  /** Consumers on the server after the block. */
  consumers: number;
}

/** One series: the blocks on a fresh server, then the latency probe. */
export interface Series {
  blocks: Block[];
  latency: Percentiles;
  /** Executions in the store while latency was measured. */
  latencyHistory: number;
  natsVersion: string;
  bullmqVersion: string;
}

/** What the setup paragraph needs. */
export interface ClusterThroughputFacts {
  quick: boolean;
  blockSize: number;
  inFlight: number;
  engines: number;
  slots: number;
  latencyN: number;
}

const MIN_RATIO = 0.25;
const MIN_FLATNESS = 0.9;

/** Builds the BenchReport. */
export function clusterThroughputReport(runs: Series[], f: ClusterThroughputFacts): BenchReport {
  const first = runs[0]!;
  const rows: string[][] = [];
  runs.forEach((run, r) => {
    run.blocks.forEach((b, i) => {
      rows.push([
        `${runs.length > 1 ? `series ${r + 1}, ` : ''}block ${i + 1}`,
        `${num(b.historyBefore, 0)}–${num(b.historyBefore + f.blockSize, 0)}`,
        num(b.stator, 0),
        num(b.bullmq, 0),
        `${num(b.stator / b.bullmq, 2)}x`,
        `${num(b.nodeCpuUsPerExec, 0)} / ${num(b.bullCpuUsPerJob, 0)}`,
        num(b.apiCallsPerExec, 2),
        String(b.consumers),
      ]);
    });
  });
  const ratios = runs.flatMap((run) => run.blocks.map((b) => b.stator / b.bullmq));
  const flatness = runs.map((run) => run.blocks.at(-1)!.stator / run.blocks[0]!.stator);
  // CPU per run is what history would make grow; it drifts less with the machine's load.
  const cpuGrowth = summarize(
    runs.map((run) => run.blocks.at(-1)!.nodeCpuUsPerExec / run.blocks[0]!.nodeCpuUsPerExec),
  );
  const lastBlock = first.blocks.at(-1)!;
  const p50 = summarize(runs.map((r) => r.latency.p50));
  const p99 = summarize(runs.map((r) => r.latency.p99));
  const ratio = summarize(ratios);
  const flat = summarize(flatness);
  return {
    id: 'cluster',
    title: 'Issue 10: cluster throughput flat in history',
    command: `npx tsx bench/cluster-throughput.ts${f.quick ? ' --quick' : ''} --reps ${runs.length}`,
    setup:
      `One process: Stator on connectCluster() seams (NATS bus, JetStream store, JetStream work ` +
      `queue; ${f.engines} engines × ${f.slots} slots) against a private nats-server ` +
      `${first.natsVersion} (-js, file storage), and BullMQ ${first.bullmqVersion} on the local ` +
      `Redis. Single-step noop runs requested as \`stator.api.workflow.execute\` by a plain NATS ` +
      `client, ${f.inFlight} in flight, timed per block of ${num(f.blockSize, 0)} from the first ` +
      `request to the last \`execution.completed\`; retention is \`forever\` (nothing is pruned, and ` +
      `no background retention pass runs), so history grows block by block. Each block is followed by ${num(f.blockSize, 0)} BullMQ no-op jobs (\`queue.add\`, ` +
      `same bound in flight, Worker concurrency ${f.engines * f.slots}). Latency: a 3-step noop ` +
      `chain, request → \`execution.completed\` on \`stator.execution.<id>.out\`, ` +
      `${f.latencyN} sequential runs with ${num(first.latencyHistory, 0)} executions in the store.`,
    head: [
      'block',
      'executions in store',
      'Stator exec/s',
      'BullMQ jobs/s',
      'ratio',
      'process CPU µs per run: Stator / BullMQ',
      'JS API calls/exec',
      'consumers',
    ],
    rows,
    targets: [
      {
        name: 'Stator vs BullMQ, per block (min of blocks)',
        target: `≥ ${MIN_RATIO}x`,
        measured: `${num(ratio.min, 2)}x (median ${num(ratio.median, 2)}x)`,
        met: ratio.min >= MIN_RATIO,
      },
      {
        name: `block after ${num(lastBlock.historyBefore, 0)} executions vs the first block`,
        target: `≥ ${MIN_FLATNESS}x`,
        measured: `${num(flat.median, 2)}x`,
        met: flat.min >= MIN_FLATNESS,
      },
      {
        name: `process CPU per run, block after ${num(lastBlock.historyBefore, 0)} vs the first`,
        target: 'report (flat: about 1x)',
        measured: `${num(cpuGrowth.median, 2)}x`,
        met: null,
      },
      {
        name: '3-step noop: execute → execution.completed p50 / p99',
        target: 'report (anchors: Restate 4.1 ms median, Temporal 119 ms)',
        measured: `${num(p50.median, 2)} ms / ${num(p99.median, 2)} ms`,
        met: null,
      },
    ],
    notes: [
      'JS API calls/exec counts what the server served on $JS.API (consumer creations and ' +
        'infos, stream purges and message deletes; nats-server 2.9 does not count direct gets): ' +
        'it stays flat when nothing on the hot path scans.',
    ],
  };
}

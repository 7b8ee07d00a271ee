/**
 * The report of bench/nats-mode.ts: throughput rows (executions/s against BullMQ) and latency
 * rows (p50 and p99 per repetition, summarized across repetitions) in one table.
 * @module
 */
import { num, ratio, spread } from './format.ts';
import type { Percentiles } from './load.ts';
import type { BenchReport } from './report.ts';
import { pairedRatio, summarize } from './stats.ts';

/** Throughput variants. */
export type Side = 'natsApi' | 'embedded' | 'bullmq';
/** Latency series. */
export type LatencyKind = 'executeToStep' | 'executeReply' | 'natsRtt' | 'bullmqStart';

/** Samples of one run: executions/s per repetition, percentiles per repetition. */
export interface Samples {
  rate: Partial<Record<Side, number[]>>;
  latency: Partial<Record<LatencyKind, Percentiles[]>>;
  /** Executions in the JetStream store at the start of each repetition, then at the end. */
  history: number[];
}

/** What the setup paragraph needs to say. */
export interface NatsModeFacts {
  reps: number;
  quick: boolean;
  items: number;
  latencyN: number;
  inFlight: number;
  engines: number;
  slots: number;
  bullmqVersion: string;
  natsVersion: string;
}

const ms = (x: number) => num(x, 2);
const perRep = (xs: readonly number[], digits: number) => xs.map((x) => num(x, digits)).join(', ');

/** Builds the BenchReport of the NATS-mode benchmark. */
export function natsModeReport(samples: Samples, f: NatsModeFacts): BenchReport {
  const rate = (s: Side) => samples.rate[s] ?? [];
  const lat = (k: LatencyKind, p: keyof Percentiles) => (samples.latency[k] ?? []).map((x) => x[p]);
  const conc = f.engines * f.slots;
  const label: Record<Side, string> = {
    natsApi: 'NATS mode (JetStream store): `stator.api.workflow.execute` from a plain client',
    embedded: 'embedded mode (SQLite store): library `execute()` (context)',
    bullmq: `BullMQ ${f.bullmqVersion}: \`queue.add\` of a no-op job (baseline)`,
  };
  const rateRows = (['natsApi', 'embedded', 'bullmq'] as const).map((s) => {
    const r = summarize(rate(s));
    return [
      '(a) throughput',
      label[s],
      `executions/s (µs each: ${num(1e6 / r.median, 0)})`,
      spread(r, (x) => num(x, 0)),
      '',
      s === 'bullmq' ? '1.00x' : ratio(pairedRatio(rate(s), rate('bullmq'))),
    ];
  });
  const latLabel: Record<LatencyKind, string> = {
    executeToStep: '`workflow.execute` request → `step.started` on `stator.execution.<id>.out`',
    executeReply: '`workflow.execute` request → its reply (attribution)',
    natsRtt: 'NATS request-reply round trip, echo responder on another connection (baseline)',
    bullmqStart: 'BullMQ `queue.add` → processor start (peer)',
  };
  const latRows = (['executeToStep', 'executeReply', 'natsRtt', 'bullmqStart'] as const).map(
    (k) => [
      '(b) latency',
      latLabel[k],
      'p50 ms',
      spread(summarize(lat(k, 'p50')), ms),
      spread(summarize(lat(k, 'p99')), ms),
      k === 'natsRtt' ? '1.00x' : ratio(pairedRatio(lat(k, 'p50'), lat('natsRtt', 'p50'))),
    ],
  );
  const vsBull = pairedRatio(rate('natsApi'), rate('bullmq'));
  const step50 = summarize(lat('executeToStep', 'p50')).median;
  const step99 = summarize(lat('executeToStep', 'p99')).median;
  return {
    id: 'nats',
    title:
      'Issue 3: NATS mode (JetStream store) — throughput vs BullMQ, execute → step.started latency',
    command: `(cd bench && npm install) && node --expose-gc --max-semi-space-size=64 --import tsx bench/nats-mode.ts --reps ${f.reps}${f.quick ? ' --quick' : ''}`,
    setup:
      `A private \`nats-server -js\` (${f.natsVersion}, random port, temp store dir, fresh JetStream prefix) started by ` +
      `the benchmark; Stator on \`connectCluster()\`'s seams (NATS bus, JetStream store, JetStream work queue, event ` +
      `stream), ${f.engines} engines × ${f.slots} slots, in the benchmark's process. (a) ${num(f.items, 0)} single-step ` +
      `noop executions per sample, ${f.inFlight} requests in flight, done when the last \`execution.completed\` ` +
      `reaches a subscriber; BullMQ on the local Redis (127.0.0.1:6379), one Worker at concurrency ${conc} (async ` +
      `no-op), the same number of \`queue.add\` calls with the same bound in flight, done at the last \`completed\`; ` +
      `embedded mode (SQLite in a temp dir, in-process bus and queue) in the same process for context. Order rotated ` +
      `each repetition; ratios are medians of per-repetition ratios. (b) ${num(f.latencyN, 0)} sequential requests per ` +
      `repetition from a plain \`@nats-io/transport-node\` connection, each with its own \`executionId\`, subscribed ` +
      `(and flushed) before the request, next request after the run's final event; p50 and p99 per repetition, ` +
      `shown as the median (min–max) over ${f.reps} repetitions; the baselines take as many samples.`,
    head: [
      'part',
      'system / path',
      'metric',
      'median (min–max)',
      'p99 ms median (min–max)',
      'vs baseline',
    ],
    rows: [...rateRows, ...latRows],
    targets: [
      {
        name: 'NATS mode executions/s ÷ BullMQ jobs/s',
        target: 'none: report the ratio',
        measured: `${num(vsBull.median, 2)}x`,
        met: null,
      },
      {
        name: 'NATS mode: execute → step.started p50 / p99',
        target: 'none: report',
        measured: `${ms(step50)} / ${ms(step99)} ms`,
        met: null,
      },
    ],
    notes: [
      'throughput "vs baseline" is against BullMQ; latency "vs baseline" is the p50 against the NATS round trip.',
      `per repetition, in order (the JetStream store held ${samples.history.map((n) => num(n, 0)).join(' → ')} ` +
        `executions at their starts and end): NATS-mode API executions/s ${perRep(rate('natsApi'), 0)}; ` +
        `BullMQ jobs/s ${perRep(rate('bullmq'), 0)}; execute → step.started p50 ms ` +
        `${perRep(lat('executeToStep', 'p50'), 2)}.`,
    ],
  };
}

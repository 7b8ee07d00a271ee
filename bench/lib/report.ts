/**
 * What one benchmark hands back to bench/run.ts, and the `main` wrapper that lets every
 * benchmark file run alone (`npx tsx bench/<name>.ts`) or as a child of run.ts (`--json`).
 * @module
 */
import { parseArgs } from 'node:util';
import { markdownTable } from './format.ts';

/** One target of the issue and whether this run met it. */
export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  /** null: a figure the issue asks to report, with no threshold. */
  met: boolean | null;
}

/** The result of one benchmark. */
export interface BenchReport {
  /** Letter of the list: a, b, c, d. */
  id: string;
  title: string;
  /** The command that reproduces this table alone. */
  command: string;
  /** One paragraph: what ran, sizes, repetitions, what the baseline is. */
  setup: string;
  head: string[];
  rows: string[][];
  targets: TargetCheck[];
  notes: string[];
}

/** Options every benchmark understands. */
export interface BenchArgs {
  /** Repetitions (samples) per figure. */
  reps: number;
  /** Smaller sizes for a smoke run; figures are not comparable with a full run. */
  quick: boolean;
}

const JSON_MARK = '@@bench-report ';

/** Prints progress on stderr (stdout carries the report). */
export function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

/** The report as text for a terminal. */
export function renderReport(r: BenchReport): string {
  const targets = r.targets.map(
    (t) =>
      `  ${t.met === null ? 'INFO' : t.met ? 'MET ' : 'MISS'}  ${t.name}: ${t.measured} (goal ${t.target})`,
  );
  return [
    `(${r.id}) ${r.title}`,
    r.setup,
    '',
    markdownTable(r.head, r.rows),
    '',
    ...targets,
    ...r.notes.map((n) => `  note: ${n}`),
    '',
  ].join('\n');
}

/** Runs `bench` with parsed args; prints the report (or its JSON line under `--json`). */
export async function benchMain(
  bench: (args: BenchArgs) => Promise<BenchReport>,
  defaultReps = 5,
): Promise<void> {
  const { values } = parseArgs({
    options: {
      reps: { type: 'string', default: String(defaultReps) },
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps must be a positive integer');
  const report = await bench({ reps, quick: values.quick });
  if (values.json) process.stdout.write(`${JSON_MARK}${JSON.stringify(report)}\n`);
  else process.stdout.write(renderReport(report));
}

/** Extracts the report a child printed with `--json`. */
export function parseReport(stdout: string): BenchReport | undefined {
  const line = stdout.split('\n').find((l) => l.startsWith(JSON_MARK));
  return line ? (JSON.parse(line.slice(JSON_MARK.length)) as BenchReport) : undefined;
}

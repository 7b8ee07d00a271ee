/**
 * The cost of `if:` per step (issue 12): a 1,000-step noop chain and a 1,000-step noop fan-out
 * (concurrency 16), embedded with a SQLite store, run back to back with and without an `if:` on
 * every step. The condition is true and reads `inputs` and another step's status (chain:
 * `inputs.go == true && steps.s<i-1>.status == 'succeeded'`; fan-out: `... != 'failed'`, since
 * the other step may not have run yet). Both variants get the same input. The four cases are
 * paired per repetition with their order rotated. For attribution, the same expression is
 * evaluated alone in a loop: as the runtime does it (src/workflow/conditions.ts parses the text
 * on every call), already parsed, and with the actor's work around it (step lookup, context).
 *
 *   node --expose-gc --import tsx bench/if-cost.ts [--reps 5] [--quick]
 * @module
 */
import { celEnvironment, conditionSteps, evaluateCondition } from '../src/workflow/conditions.ts';
import { startStator } from './lib/stator-harness.ts';
import { chain, fanOut, NOOP_STEP, type WorkflowDoc } from './lib/workflows.ts';
import { collectGarbage, pairedRatio, summarize, timed } from './lib/stats.ts';
import { num, ratio, spread } from './lib/format.ts';
import { benchMain, progress, type BenchArgs, type BenchReport } from './lib/report.ts';

const STEPS = 1_000;
const FAN_OUT_CONCURRENCY = 16;
const INPUT = { go: true };
const CEL_EXPRESSION = "inputs.go == true && steps.s12.status == 'succeeded'";

/** `doc` with an `if:` on every step; `other(i)` is the step whose status step i reads. */
function withIf(doc: WorkflowDoc, op: '==' | '!=', want: string, other: (i: number) => number) {
  return {
    ...doc,
    id: `${doc.id}-if`,
    steps: doc.steps.map((step, i) => ({
      ...step,
      if: `inputs.go == true && steps.s${other(i)}.status ${op} '${want}'`,
    })),
  };
}

/** µs per evaluation of `fn` over `n` calls (after a warm-up of n/10). */
function perCall(n: number, fn: () => unknown): number {
  for (let i = 0; i < n / 10; i++) fn();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn();
  return ((performance.now() - t0) * 1000) / n;
}

/** The expression alone: as evaluateCondition runs it, pre-parsed, and with the actor's lookups. */
function celSample(n: number): { runtime: number; parsed: number; actor: number } {
  const ctx = {
    inputs: { go: true },
    steps: { s12: { status: 'succeeded', outputs: {} } },
    env: {},
    execution: { id: 'e', workflowId: 'w' },
  };
  const statuses = Array.from({ length: STEPS }, () => 'succeeded');
  const stepIndex = Object.fromEntries(statuses.map((_, i) => [`s${i}`, i]));
  const parsed = celEnvironment.parse(CEL_EXPRESSION);
  const check = (v: unknown) => {
    if (v !== true) throw new Error(`condition gave ${String(v)}`);
  };
  return {
    runtime: perCall(n, () => check(evaluateCondition(CEL_EXPRESSION, ctx))),
    parsed: perCall(n, () => check(parsed(ctx))),
    actor: perCall(n, () => {
      const steps: Record<string, { status: string; outputs: Record<string, unknown> }> = {};
      for (const id of conditionSteps(CEL_EXPRESSION)) {
        steps[id] = { status: statuses[stepIndex[id]!]!, outputs: {} };
      }
      check(evaluateCondition(CEL_EXPRESSION, { ...ctx, steps, env: { ...ctx.env } }));
    }),
  };
}

async function ifCost({ reps, quick }: BenchArgs): Promise<BenchReport> {
  const runsPerSample = quick ? 1 : 3;
  const celCalls = quick ? 20_000 : 100_000;
  const bench = await startStator();
  const s = bench.stator;
  const plainChain = chain('chain', STEPS, NOOP_STEP);
  const plainFan = fanOut('fanout', STEPS, FAN_OUT_CONCURRENCY, NOOP_STEP);
  const docs = [
    { shape: 'chain', variant: 'plain', doc: plainChain },
    { shape: 'chain', variant: 'if', doc: withIf(plainChain, '==', 'succeeded', (i) => i - 1) },
    { shape: 'fan-out', variant: 'plain', doc: plainFan },
    {
      shape: 'fan-out',
      variant: 'if',
      doc: withIf(plainFan, '!=', 'failed', (i) => (i + STEPS - 1) % STEPS),
    },
  ];
  // The chain's first step has no step before it: its condition reads inputs only.
  docs[1]!.doc.steps[0]!.if = 'inputs.go == true';
  for (const d of docs) await s.registerWorkflow(d.doc);

  const sample = async (id: string) => {
    let ms = 0;
    const t = await timed(async () => {
      for (let r = 0; r < runsPerSample; r++) {
        const t0 = performance.now();
        const { executionId } = await s.execute(id, INPUT);
        const record = await s.waitForExecution(executionId, { timeoutMs: 600_000 });
        ms += performance.now() - t0;
        if (record.status !== 'completed') throw new Error(`${id}: ended ${record.status}`);
        const ran = record.steps.filter((x) => x.status === 'succeeded').length;
        if (ran !== STEPS) throw new Error(`${id}: ${ran} of ${STEPS} steps succeeded`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    const steps = runsPerSample * STEPS;
    return { us: (ms * 1000) / steps, cpuUs: (t.cpuMs * 1000) / steps };
  };
  const us = new Map<string, number[]>(docs.map((d) => [d.doc.id, []]));
  const cpu = new Map<string, number[]>(docs.map((d) => [d.doc.id, []]));
  const cel = { runtime: [] as number[], parsed: [] as number[], actor: [] as number[] };
  try {
    progress('warm-up');
    for (const d of docs) await sample(d.doc.id);
    for (let rep = 0; rep < reps; rep++) {
      for (let i = 0; i < docs.length; i++) {
        const d = docs[(i + rep) % docs.length]!;
        collectGarbage();
        const m = await sample(d.doc.id);
        us.get(d.doc.id)!.push(m.us);
        cpu.get(d.doc.id)!.push(m.cpuUs);
      }
      collectGarbage();
      const c = celSample(celCalls);
      cel.runtime.push(c.runtime);
      cel.parsed.push(c.parsed);
      cel.actor.push(c.actor);
      progress(`rep ${rep + 1}/${reps} done`);
    }
  } finally {
    await bench.close();
  }

  const diffs = (a: number[], b: number[]) => summarize(a.map((x, i) => x - b[i]!));
  const f1 = (x: number) => num(x, 1);
  const rows = (['chain', 'fan-out'] as const).map((shape) => {
    const base = shape === 'chain' ? 'chain' : 'fanout';
    const [plain, cond] = [us.get(base)!, us.get(`${base}-if`)!];
    const [cpuPlain, cpuCond] = [cpu.get(base)!, cpu.get(`${base}-if`)!];
    return [
      shape === 'chain' ? 'chain' : `fan-out (c=${FAN_OUT_CONCURRENCY})`,
      spread(summarize(plain), f1),
      spread(summarize(cond), f1),
      spread(diffs(cond, plain), f1),
      ratio(pairedRatio(cond, plain)),
      `${f1(summarize(cpuPlain).median)} / ${f1(summarize(cpuCond).median)}`,
      spread(diffs(cpuCond, cpuPlain), f1),
    ];
  });
  const f2 = (x: number) => num(x, 2);
  return {
    id: 'if',
    title: 'The cost of `if:` per step',
    command: `node --expose-gc --max-semi-space-size=64 --import tsx bench/if-cost.ts --reps ${reps}${quick ? ' --quick' : ''}`,
    setup:
      `Noop chain and fan-out (concurrency ${FAN_OUT_CONCURRENCY}) of ${num(STEPS, 0)} steps, SQLite store in a ` +
      `temp dir, input {go: true}, after a warm-up pass. "if" puts a true condition on every step that reads ` +
      `inputs and another step's status (chain: \`inputs.go == true && steps.s<i-1>.status == 'succeeded'\`). ` +
      `A sample is ${runsPerSample} run(s), execute() to waitForExecution(). ${reps} repetitions, the four ` +
      `cases in rotated order; differences and ratios are medians of per-repetition (paired) values. CPU is ` +
      `this process's user+system time per step.`,
    head: [
      'shape',
      'no if: µs/step',
      'if: µs/step',
      'difference µs/step',
      'if / no if',
      'CPU µs/step no if / if',
      'CPU difference µs/step',
    ],
    rows,
    targets: [],
    notes: [
      `CEL alone, \`${CEL_EXPRESSION}\`, ${num(celCalls, 0)} calls per repetition: ` +
        `evaluateCondition (parse + evaluate, as the runtime does) ${spread(summarize(cel.runtime), f2)} µs; ` +
        `pre-parsed evaluate ${spread(summarize(cel.parsed), f2)} µs; with the actor's step lookup and ` +
        `context ${spread(summarize(cel.actor), f2)} µs per call.`,
      `process RSS at the end: ${num(process.memoryUsage().rss / 2 ** 20, 0)} MiB.`,
    ],
  };
}

await benchMain(ifCost);

/**
 * Plan cost (issue 12, item 10): `buildPlan` of a 10,000-step DAG (each step needs the step 100
 * before it and one of the 7 before that; exec, run and sleep steps, with history samples for
 * every step), timed for a checked definition (a registered workflow: the `workflowId` path)
 * and for an inline document (schema and graph checks included). Prints min / median / max over
 * the repetitions, ms.
 *
 *   node --max-semi-space-size=64 --import tsx bench/plan.ts [--steps 10000] [--reps 15] [--built]
 *
 * `--built` times the compiled dist/ (`npm run build`) that `npm start` runs: tsx's transform
 * wraps every function expression in a naming helper the compiled code does not have.
 * (the service's V8 flags, as `stator serve` and `npm start` run with; see bin/node-flags.js)
 * @module
 */
import { parseArgs } from 'node:util';
import type * as PlansModule from '../src/plans/index.ts';
import type * as WorkflowModule from '../src/workflow/index.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '10000' },
    reps: { type: 'string', default: '15' },
    // The compiled dist/ the service runs (`npm start`), rather than the sources through tsx.
    built: { type: 'boolean', default: false },
  },
});
type Plans = typeof PlansModule;
type Workflows = typeof WorkflowModule;
const from = values.built ? '../dist/src' : '../src';
const ext = values.built ? 'js' : 'ts';
const { buildPlan } = (await import(`${from}/plans/index.${ext}`)) as Plans;
const { parseWorkflow } = (await import(`${from}/workflow/index.${ext}`)) as Workflows;
const n = Number(values.steps);
const reps = Number(values.reps);

const kinds = [
  (i: number) => ({ exec: ['deploy', '--shard', String(i)] }),
  (i: number) => ({ run: `echo ${i} && rm -rf ./build/${i} | tee log` }),
  () => ({ sleep: '10ms' }),
];
const document = {
  id: 'big',
  defaults: { timeout: '1m' },
  steps: Array.from({ length: n }, (_, i) => ({
    id: `s${i}`,
    ...kinds[i % kinds.length]!(i),
    ...(i >= 100 && { needs: [`s${i - 100}`, `s${i - 1 - (i % 7)}`] }),
  })),
};
const definition = parseWorkflow(document);
const samples = new Map(definition.steps.map((s, i) => [s.id, [i % 50, 50, 100 + (i % 13)]]));

function time(label: string, run: () => unknown): void {
  for (let w = 0; w < 5; w++) run(); // warm up: the JIT has settled before the first sample
  const ms: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < reps; r++) {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    run();
    const used = process.cpuUsage(cpuStart);
    ms.push(performance.now() - start);
    cpu.push((used.user + used.system) / 1000);
  }
  const f = (x: number) => x.toFixed(1);
  const stat = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `median ${f(s[Math.floor(s.length / 2)]!)} ms (min ${f(s[0]!)}, max ${f(s.at(-1)!)})`;
  };
  // CPU time (user + system of this process) is what other load on the machine disturbs least.
  console.log(`${label}: wall ${stat(ms)}; cpu ${stat(cpu)}; ${reps} reps`);
}

console.log(
  `plan of a ${n}-step DAG, node ${process.version}, ${values.built ? 'dist/' : 'src/ (tsx)'}`,
);
time('checked definition (workflowId)', () => buildPlan({ definition }, {}, samples));
time('inline document (schema + DAG checks)', () => buildPlan({ document }, {}, samples));

import { spawn } from 'node:child_process';
import { createExecaRunner } from './src/exec/index.ts';
const which = process.argv[2]; const conc = Number(process.argv[3]); const N = 2000;
const r = createExecaRunner();
const fns: Record<string, () => Promise<unknown>> = {
  raw: () => new Promise((res) => { const c = spawn('true', [], { stdio: ['ignore', 'pipe', 'pipe'], detached: true }); c.stdout.resume(); c.stderr.resume(); c.once('close', res); }),
  runner: () => r.run({ argv: ['true'], onLine: () => {} }),
  runnerNoLine: () => r.run({ argv: ['true'] }),
};
const f = fns[which]!;
for (let i = 0; i < 100; i++) await f();
let started = 0; const c0 = process.cpuUsage(); const t0 = performance.now();
await Promise.all(Array.from({ length: conc }, async () => { while (started < N) { started++; await f(); } }));
const c = process.cpuUsage(c0);
console.log(which, conc, 'wall', ((performance.now() - t0) / N).toFixed(3), 'cpu', ((c.user + c.system) / 1000 / N).toFixed(3), 'rss', Math.round(process.memoryUsage().rss / 1e6));

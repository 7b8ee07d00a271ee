/**
 * The floor of the spawn benchmarks: a loop of `true` spawns run by a separate, fresh, bare
 * `node` process (default flags, nothing loaded but `node:child_process`), so that the spawner's
 * small heap is what the figure measures, whatever the benchmark process has grown to.
 * @module
 */
import { spawn } from 'node:child_process';

/** Wall and CPU ms of one loop; CPU counts the spawning process only, not the children. */
export interface SpawnSample {
  ms: number;
  cpuMs: number;
  /** Resident size of the spawning process at the end, MiB (bare loop only). */
  rssMiB?: number;
}

/**
 * Spawns a bare node process that runs 20 warm-up spawns of `true`, then `n` more with
 * `concurrency` workers (each awaiting 'close' before its next spawn), and reports that loop.
 */
export function bareSpawnLoop(n: number, concurrency = 1): Promise<SpawnSample> {
  const script = `
    const { spawn } = require('node:child_process');
    const once = () => new Promise((r) => spawn('true').once('close', r));
    (async () => {
      let started = 0;
      const worker = async () => { while (started < ${n}) { started++; await once(); } };
      for (let i = 0; i < 20; i++) await once();
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      await Promise.all(Array.from({ length: ${concurrency} }, worker));
      const cpu = process.cpuUsage(cpu0);
      const ms = performance.now() - t0;
      const rssMiB = process.memoryUsage().rss / 2 ** 20;
      console.log(JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, rssMiB }));
    })();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as SpawnSample)
        : reject(new Error(`bare loop exit ${code}`)),
    );
  });
}

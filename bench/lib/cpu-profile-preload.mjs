// @ts-check
/**
 * Preload (`NODE_OPTIONS=--import <this file>`) that CPU-profiles a process the benchmarks start
 * as users do, where `--cpu-prof` cannot be passed (node refuses it in NODE_OPTIONS): the
 * inspector's profiler runs from the start, and at exit the profile is written as
 * `<BENCH_CPU_PROF_DIR>/<pid>.cpuprofile` (open it in Chrome DevTools or speedscope).
 * @module
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import process from 'node:process';

const dir = process.env.BENCH_CPU_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
  // The main-thread session answers synchronously, so this completes inside 'exit'.
  process.once('exit', () => {
    session.post('Profiler.stop', (err, result) => {
      if (!err)
        writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}

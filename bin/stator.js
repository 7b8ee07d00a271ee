#!/usr/bin/env node
// The `stator` command. From a package or a built checkout it runs the compiled CLI in dist/;
// from a checkout that was never built, the TypeScript sources through tsx's loader.
// `serve` and `run` run the service: they get one child node process started with the
// service's V8 flags (bin/node-flags.js), and signals are passed on so `docker stop` (SIGTERM
// to this process) drains it. Every other command runs in this process, so `stator --help`
// answers in one node start.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SERVICE_NODE_FLAGS } from './node-flags.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = join(root, 'dist', 'src', 'cli.js');
const args = process.argv.slice(2);
const runsService = args[0] === 'serve' || args[0] === 'run';

if (existsSync(built) && !runsService) {
  const { main } = await import(pathToFileURL(built).href);
  process.exit(await main(args));
}

// tsx's loader by absolute URL: `--import tsx` would resolve from the caller's directory.
const entry = existsSync(built)
  ? [built]
  : [
      '--import',
      pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href,
      join(root, 'src/cli.ts'),
    ];
const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, ...entry, ...args], {
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
});

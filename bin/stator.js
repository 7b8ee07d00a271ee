#!/usr/bin/env node
// Thin launcher: runs the TypeScript CLI with tsx's loader so `npx stator` works from a
// checkout, in one node process started with the service's V8 flags (bin/node-flags.js).
// Signals are passed on, so `docker stop` (SIGTERM to this process) drains the service.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SERVICE_NODE_FLAGS } from './node-flags.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// tsx's loader by absolute URL: `--import tsx` would resolve from the caller's directory.
const tsxLoader = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const child = spawn(
  process.execPath,
  [
    ...SERVICE_NODE_FLAGS,
    '--import',
    tsxLoader,
    join(root, 'src/cli.ts'),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
});

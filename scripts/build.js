#!/usr/bin/env node
// `npm run build`: compiles src/ and machines/ to dist/ (JavaScript, declarations, source maps)
// and copies the process host, which is plain JavaScript run by its own node process, beside
// the compiled files so `dist/src/host/host-main.js` is found the way `src/host/` is.
import { execFileSync } from 'node:child_process';
import console from 'node:console';
import process from 'node:process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});
const hostSrc = join(root, 'src', 'host');
const hostDist = join(root, 'dist', 'src', 'host');
mkdirSync(hostDist, { recursive: true });
for (const name of readdirSync(hostSrc)) {
  if (name.endsWith('.js') || name.endsWith('.d.ts')) {
    copyFileSync(join(hostSrc, name), join(hostDist, name));
  }
}

// The dashboard's browser bundle (esbuild is a dev dependency: skipped where it is absent).
const esbuildPresent = await import('esbuild').then(
  () => true,
  () => false,
);
if (esbuildPresent) {
  const { buildDashboard } = await import('./build-dashboard.js');
  await buildDashboard();
} else {
  console.warn('esbuild not installed: dashboard not built');
}

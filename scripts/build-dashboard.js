#!/usr/bin/env node
// Bundles the dashboard (src/dashboard/, Preact + elkjs) with esbuild into dist/dashboard/:
// content-hashed files under assets/ and an index.html that names them. Run by scripts/build.js
// (so `npm run build`, `npm ci` and `npm start` make it) and by the browser tests when the
// bundle is missing or older than its sources. Nothing here is fetched at run time.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import console from 'node:console';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(root, 'src', 'dashboard');
const outDir = join(root, 'dist', 'dashboard');

/** The newest modification time of the dashboard's sources (and of this script). */
export function sourcesMtime() {
  let newest = statSync(fileURLToPath(import.meta.url)).mtimeMs;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(srcDir);
  return newest;
}

/** True when dist/dashboard is missing or older than a source file. */
export function dashboardStale() {
  try {
    return statSync(join(outDir, 'index.html')).mtimeMs < sourcesMtime();
  } catch {
    return true;
  }
}

const page = (css, js) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Stator</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/assets/${css}" />
    <script type="module" src="/assets/${js}"></script>
  </head>
  <body>
    <div id="app"><p class="boot">Loading Stator…</p></div>
    <noscript>The Stator dashboard needs JavaScript.</noscript>
  </body>
</html>
`;

/** Builds the bundle; resolves with the names of the files written under assets/. */
export async function buildDashboard() {
  const esbuild = await import('esbuild');
  // Built beside, then swapped in: a server reading the folder never sees half a build.
  const tmpDir = `${outDir}.build-${process.pid}`;
  rmSync(tmpDir, { recursive: true, force: true });
  mkdirSync(join(tmpDir, 'assets'), { recursive: true });
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { app: join(srcDir, 'main.tsx') },
    outdir: join(tmpDir, 'assets'),
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: false,
    legalComments: 'linked',
    metafile: true,
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
  const js = outputs.find((n) => /^app-.*\.js$/.test(n));
  const css = outputs.find((n) => /^app-.*\.css$/.test(n));
  if (js === undefined || css === undefined) throw new Error('dashboard build: no entry output');
  writeFileSync(join(tmpDir, 'index.html'), page(css, js));
  rmSync(outDir, { recursive: true, force: true });
  renameSync(tmpDir, outDir);
  return outputs;
}

/**
 * Builds when stale, one process at a time (test files running in parallel all ask): a lock
 * folder, taken over when older than two minutes (its holder died).
 */
export async function buildDashboardIfStale() {
  const lock = join(root, 'dist', '.dashboard-build.lock');
  mkdirSync(dirname(lock), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000)
          rmSync(lock, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      await sleep(100);
    }
  }
  try {
    return dashboardStale() ? await buildDashboard() : [];
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

// `node scripts/build-dashboard.js [--if-stale]`: the latter builds only when a source is newer.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = process.argv.includes('--if-stale')
    ? await buildDashboardIfStale()
    : await buildDashboard();
  console.log(`dashboard: ${files.length} files built in dist/dashboard/assets`);
}

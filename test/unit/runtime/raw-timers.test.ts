/**
 * Guard: runtime time goes through the Clock (src/clock.ts). Fails when a file under the guarded
 * folders (src/runtime, src/triggers, src/sessions, src/monitor, src/store/outbox) reads the wall clock or arms a timer of its own (`setTimeout`, `setInterval`,
 * `Date.now()`, `new Date()`, `performance.now()`) unless the allow-list below names the file and
 * the call with its reason. Turn yields (`setImmediate`, `queueMicrotask`) are not time and stay
 * allowed. Comments are ignored.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');

/** Folders whose time must go through the Clock. */
const GUARDED = ['src/runtime', 'src/triggers', 'src/sessions', 'src/monitor', 'src/store/outbox'];

const RAW = [
  { name: 'setTimeout', pattern: /(?<![.\w])setTimeout\s*\(/g },
  { name: 'setInterval', pattern: /(?<![.\w])setInterval\s*\(/g },
  { name: 'Date.now', pattern: /\bDate\.now\s*\(/g },
  { name: 'new Date()', pattern: /\bnew Date\s*\(\s*\)/g },
  { name: 'performance.now', pattern: /\bperformance\.now\s*\(/g },
];

/** file (from the repository root) → raw calls it may make, each with its reason. */
const ALLOWED: Record<string, Record<string, string>> = {
  'src/runtime/calls/http-call.ts': {
    'performance.now': 'the monotonic duration of one HTTP call, reported with its outcome',
  },
  'src/runtime/calls/nats-call.ts': {
    'performance.now': 'the monotonic duration of one NATS request, reported with its outcome',
  },
  'src/triggers/croner-scheduler.ts': {
    'Date.now': 'the wall-clock Scheduler itself (croner); tests use createSimulatedScheduler',
  },
  'src/triggers/webhook-signature.ts': {
    'Date.now': 'the default timestamp of a signing helper for callers outside the service',
  },
  'src/runtime/flow/cluster-flow-gate.ts': {
    setTimeout:
      'a few ms of random jitter between retries of a lost revision-checked write (contention between nodes, not a duration of any run)',
  },
  'src/sessions/session-process.ts': {
    setTimeout: 'waits on an OS process (exit drain, kill confirmation): kernel time',
    'Date.now': 'the deadline of polling an OS process group for its end: kernel time',
  },
};

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

/** The code without comments (string contents are kept: none of the names occur in them). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** `file: call` for every raw call found outside the allow-list. */
function offences(files: string[]): string[] {
  return files.flatMap((file) => {
    const text = code(readFileSync(join(ROOT, file), 'utf8'));
    const rel = relative(ROOT, join(ROOT, file));
    return RAW.filter(({ name, pattern }) => {
      if (ALLOWED[rel]?.[name] !== undefined) return false;
      return [...text.matchAll(pattern)].length > 0;
    }).map(({ name }) => `${rel}: ${name}`);
  });
}

describe('runtime time goes through the Clock', () => {
  const files = GUARDED.flatMap(sources);

  it('finds the runtime sources', () => {
    expect(files.length).toBeGreaterThan(20);
    expect(files).toContain('src/runtime/create-stator.ts');
  });

  it('has no raw timer or wall-clock read outside the allow-list', () => {
    expect(offences(files)).toEqual([]);
  });

  it('allow-lists only files that exist and still need it', () => {
    const stale = Object.entries(ALLOWED).flatMap(([file, calls]) => {
      if (!files.includes(file)) return [`${file}: not a guarded source`];
      const text = code(readFileSync(join(ROOT, file), 'utf8'));
      return Object.keys(calls)
        .filter((name) => ![...text.matchAll(RAW.find((r) => r.name === name)!.pattern)].length)
        .map((name) => `${file}: ${name} no longer used`);
    });
    expect(stale).toEqual([]);
  });

  it('catches a raw call and ignores one in a comment', () => {
    const sample = [
      '// setTimeout(x, 1) in a comment',
      '/* Date.now() */',
      'clock.setTimeout(fn, 5);',
      'const t = setTimeout(fn, 5);',
      'const n = Date.now();',
    ].join('\n');
    const found = RAW.filter(({ pattern }) => [...code(sample).matchAll(pattern)].length > 0);
    expect(found.map((r) => r.name)).toEqual(['setTimeout', 'Date.now']);
  });
});

/**
 * The ProcessRunner contract, run against every implementation (the in-process runner with each
 * spawner, the process host's client). Real processes throughout; no case sleeps to
 * synchronise: grandchildren announce their pids on stdout, and ends are polled.
 */
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getEventListeners } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { truncationMarker } from '../../src/exec/index.ts';
import type { ProcessRunner, ProcessSpec } from '../../src/exec/index.ts';
import { InvalidArgumentError } from '../../src/errors.ts';
import { ProcessTracker, isGone, waitGone } from '../fixtures/exec/process-tracker.ts';

/** What a runner is created with; the suite passes only these. */
export interface RunnerOptions {
  killGraceMs: number;
  maxLineLength?: number;
  /** Base environment, added to the caller's environment; a spec's env goes on top. */
  env?: Record<string, string>;
}

/** Options of the suite. */
export interface ProcessRunnerConformanceOptions {
  name: string;
  create: (options: RunnerOptions) => ProcessRunner | Promise<ProcessRunner>;
  /** Releases a runner made by `create` (after `killAll`), e.g. closes a connection. */
  dispose?: (runner: ProcessRunner) => void | Promise<void>;
}

const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/exec/${name}`, import.meta.url));

/** Collects lines per stream and offers a latch on the first stdout line. */
export function lineSink() {
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  let resolveFirst!: (line: string) => void;
  const first = new Promise<string>((r) => (resolveFirst = r));
  const onLine: NonNullable<ProcessSpec['onLine']> = (stream, line) => {
    lines[stream].push(line);
    if (stream === 'stdout' && lines.stdout.length === 1) resolveFirst(line);
  };
  return { lines, onLine, first };
}

/** Runs the ProcessRunner conformance cases. */
export function runProcessRunnerConformance(o: ProcessRunnerConformanceOptions): void {
  describe(`ProcessRunner conformance: ${o.name}`, () => {
    let runner: ProcessRunner;
    let tracker: ProcessTracker;
    let dir: string;
    const made: ProcessRunner[] = [];
    const create = async (options: RunnerOptions) => {
      const r = await o.create(options);
      made.push(r);
      return r;
    };

    beforeEach(async () => {
      runner = await create({ killGraceMs: 300 });
      tracker = new ProcessTracker();
      dir = mkdtempSync(join(tmpdir(), 'stator-exec-'));
    });

    afterEach(async () => {
      for (const r of made.splice(0)) {
        await r.killAll();
        await o.dispose?.(r);
      }
      tracker.killSurvivors();
      rmSync(dir, { recursive: true, force: true });
    });

    /** Runs and tracks the leader pid for cleanup. */
    const run = async (spec: ProcessSpec, on: ProcessRunner = runner) => {
      const result = await on.run(spec);
      tracker.track(result.pid);
      return result;
    };

    it('reports exit codes of argv and script specs', async () => {
      const a = await run({ argv: ['sh', '-c', 'exit 7'] });
      const b = await run({ script: 'exit 0' });
      const c = await run({ argv: ['false'] });
      expect([a.exitCode, b.exitCode, c.exitCode]).toEqual([7, 0, 1]);
      expect(a).toMatchObject({
        signal: null,
        timedOut: false,
        cancelled: false,
        spawnError: null,
      });
      expect(a.pid).toBeGreaterThan(0);
      expect(a.durationMs).toBeGreaterThan(0);
    });

    it('streams stdout and stderr lines in order, with \\r\\n and a final partial line', async () => {
      const sink = lineSink();
      const script = `printf 'a\\nb\\r\\n\\nc'; printf 'x\\ny' >&2; seq 1 3000`;
      const res = await run({ script: `${script}; printf tail`, onLine: sink.onLine });
      expect(res.exitCode).toBe(0);
      const seq = Array.from({ length: 3000 }, (_, i) => String(i + 1));
      expect(sink.lines.stdout).toEqual(['a', 'b', '', `c1`, ...seq.slice(1), 'tail']);
      expect(sink.lines.stderr).toEqual(['x', 'y']);
    });

    it('cuts very long lines with a marker and keeps the following lines', async () => {
      const small = await create({ killGraceMs: 300, maxLineLength: 1000 });
      const sink = lineSink();
      const res = await run(
        {
          script: `head -c 5000 /dev/zero | tr '\\0' x; printf '\\r\\nok\\n'`,
          onLine: sink.onLine,
        },
        small,
      );
      expect(res.exitCode).toBe(0);
      expect(sink.lines.stdout).toEqual(['x'.repeat(1000) + truncationMarker(4000), 'ok']);
    });

    it('passes the caller env, the base env and the spec env through, spec winning', async () => {
      process.env.STATOR_TEST_PARENT = 'from-parent';
      try {
        const withBase = await create({ killGraceMs: 300, env: { BASE: 'b', BOTH: 'base' } });
        const sink = lineSink();
        await run(
          {
            script: 'echo "$STATOR_TEST_PARENT|$BASE|$BOTH|$ONLY"',
            env: { BOTH: 'spec', ONLY: 'o' },
            onLine: sink.onLine,
          },
          withBase,
        );
        expect(sink.lines.stdout).toEqual(['from-parent|b|spec|o']);
      } finally {
        delete process.env.STATOR_TEST_PARENT;
      }
    });

    it('with inheritEnv: false gives the spec env alone, nothing of the caller or the base', async () => {
      process.env.STATOR_TEST_PARENT = 'from-parent';
      try {
        const withBase = await create({ killGraceMs: 300, env: { BASE: 'b' } });
        const sink = lineSink();
        const res = await run(
          {
            argv: ['/usr/bin/env'],
            env: { ONLY: 'o', PATH: '/usr/bin:/bin' },
            inheritEnv: false,
            onLine: sink.onLine,
          },
          withBase,
        );
        expect(res.exitCode).toBe(0);
        const names = sink.lines.stdout.map((l) => l.split('=')[0]);
        expect(sink.lines.stdout).toContain('ONLY=o');
        expect(names).not.toContain('STATOR_TEST_PARENT');
        expect(names).not.toContain('BASE');
        expect(names).not.toContain('HOME');
      } finally {
        delete process.env.STATOR_TEST_PARENT;
      }
    });

    it('gives values to a script only as env vars: no injection', async () => {
      const marker = join(dir, 'pwned');
      const payload = `$(touch ${marker}); \`touch ${marker}\`; echo injected`;
      const sink = lineSink();
      const res = await run({ script: 'echo "$X"', env: { X: payload }, onLine: sink.onLine });
      const argvSink = lineSink();
      await run({ argv: ['echo', payload], onLine: argvSink.onLine });
      expect(res.exitCode).toBe(0);
      expect(sink.lines.stdout).toEqual([payload]);
      expect(argvSink.lines.stdout).toEqual([payload]);
      expect(existsSync(marker)).toBe(false);
    });

    it('runs in cwd', async () => {
      const sink = lineSink();
      await run({ argv: ['pwd'], cwd: dir, onLine: sink.onLine });
      expect(sink.lines.stdout).toEqual([realpathSync(dir)]);
    });

    it('reports spawn failures in spawnError, never as a rejection', async () => {
      const missing = await run({ argv: ['stator-no-such-program-xyz'] });
      expect(missing).toMatchObject({ exitCode: null, signal: null, pid: null, cancelled: false });
      expect(missing.spawnError).toMatch(/ENOENT/);
      const badCwd = await run({ argv: ['true'], cwd: join(dir, 'missing') });
      expect(badCwd.spawnError).toContain(join(dir, 'missing'));
      expect(badCwd.pid).toBeNull();
    });

    it('rejects an invalid spec with InvalidArgumentError', async () => {
      await expect(runner.run({ argv: ['true'], script: 'true' })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(runner.run({ argv: [] })).rejects.toThrow(/argv/);
      await expect(runner.run({ script: 'true', timeoutMs: -1 })).rejects.toThrow(/timeoutMs/);
    });

    it('on timeout kills the leader and its grandchild', async () => {
      const sink = lineSink();
      const pending = runner.run({
        argv: ['sh', fixture('grandchild.sh')],
        timeoutMs: 300,
        onLine: sink.onLine,
      });
      const grandchild = Number(await sink.first);
      tracker.track(grandchild);
      const res = await pending;
      tracker.track(res.pid);
      expect(res).toMatchObject({ timedOut: true, cancelled: false, exitCode: null });
      expect(res.signal).toBe('SIGTERM');
      expect(res.durationMs).toBeGreaterThanOrEqual(290);
      expect(isGone(res.pid as number)).toBe(true);
      expect(await waitGone(grandchild)).toBe(true);
    });

    it('on abort kills the whole tree and removes its abort listener', async () => {
      const controller = new AbortController();
      const sink = lineSink();
      const pending = runner.run({
        argv: ['sh', fixture('grandchild.sh')],
        signal: controller.signal,
        onLine: sink.onLine,
      });
      const grandchild = Number(await sink.first);
      tracker.track(grandchild);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
      controller.abort();
      const res = await pending;
      tracker.track(res.pid);
      expect(res).toMatchObject({ cancelled: true, timedOut: false, signal: 'SIGTERM' });
      expect(await waitGone(res.pid as number)).toBe(true);
      expect(await waitGone(grandchild)).toBe(true);
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });

    it('never spawns when the signal is already aborted', async () => {
      const marker = join(dir, 'ran');
      const res = await run({ script: `touch ${marker}`, signal: AbortSignal.abort() });
      expect(res).toMatchObject({ cancelled: true, pid: null, exitCode: null, spawnError: null });
      expect(existsSync(marker)).toBe(false);
    });

    it('SIGKILLs a tree that ignores SIGTERM after the grace period', async () => {
      const sink = lineSink();
      const pending = runner.run({
        argv: ['sh', fixture('ignore-term.sh')],
        timeoutMs: 200,
        killGraceMs: 300,
        onLine: sink.onLine,
      });
      const grandchild = Number(await sink.first);
      tracker.track(grandchild);
      const res = await pending;
      tracker.track(res.pid);
      expect(res).toMatchObject({ timedOut: true, signal: 'SIGKILL', exitCode: null });
      expect(res.durationMs).toBeGreaterThanOrEqual(480);
      expect(res.durationMs).toBeLessThan(8000);
      expect(await waitGone(res.pid as number)).toBe(true);
      expect(await waitGone(grandchild)).toBe(true);
    });

    it('SIGKILLs a grandchild that ignores SIGTERM after its leader died', async () => {
      const controller = new AbortController();
      const sink = lineSink();
      const pending = runner.run({
        argv: [process.execPath, fixture('node-tree.mjs')],
        signal: controller.signal,
        onLine: sink.onLine,
      });
      const grandchild = Number((await sink.first).split(' ')[1]);
      tracker.track(grandchild);
      const abortedAt = performance.now();
      controller.abort();
      const res = await pending;
      tracker.track(res.pid);
      expect(res).toMatchObject({ cancelled: true, signal: 'SIGTERM' });
      expect(performance.now() - abortedAt).toBeGreaterThanOrEqual(280); // waited for the grace
      expect(isGone(grandchild)).toBe(true);
      expect(await waitGone(grandchild)).toBe(true);
    });

    it('killAll stops every running tree and waits for the results', async () => {
      await runner.killAll(); // nothing running: resolves at once
      const sinks = [lineSink(), lineSink(), lineSink()];
      const pending = sinks.map((s) =>
        runner.run({ argv: ['sh', fixture('ignore-term.sh')], onLine: s.onLine }),
      );
      const grandchildren = (await Promise.all(sinks.map((s) => s.first))).map(Number);
      grandchildren.forEach((p) => tracker.track(p));
      await runner.killAll();
      const results = await Promise.all(pending);
      results.forEach((r) => tracker.track(r.pid));
      for (const r of results) expect(r).toMatchObject({ cancelled: true, signal: 'SIGKILL' });
      for (const pid of [...grandchildren, ...results.map((r) => r.pid as number)]) {
        expect(await waitGone(pid)).toBe(true);
      }
    });

    it('leaves a background child alive after a normal exit, without waiting for it', async () => {
      const sink = lineSink();
      const res = await run({ script: 'sleep 30 & echo "$!"', onLine: sink.onLine });
      const daemon = Number(sink.lines.stdout[0]);
      tracker.track(daemon);
      expect(res).toMatchObject({ exitCode: 0, timedOut: false, cancelled: false });
      expect(res.durationMs).toBeLessThan(10_000);
      expect(isGone(daemon)).toBe(false);
    });

    it('isolates a throwing onLine and keeps reading', async () => {
      const seen: string[] = [];
      const res = await run({
        script: 'echo one; echo two',
        onLine: (_s, line) => {
          seen.push(line);
          throw new Error('listener bug');
        },
      });
      expect(res.exitCode).toBe(0);
      expect(seen).toEqual(['one', 'two']);
    });

    it('keeps no timers, handles or listeners once results are in', async () => {
      const count = () => {
        const by: Record<string, number> = {};
        for (const r of process.getActiveResourcesInfo()) by[r] = (by[r] ?? 0) + 1;
        return by;
      };
      const before = count();
      const controller = new AbortController();
      await Promise.all([
        run({ script: 'echo hi', timeoutMs: 10_000, signal: controller.signal, onLine: () => {} }),
        run({ argv: ['sh', fixture('grandchild.sh')], timeoutMs: 200 }),
        run({ argv: ['stator-no-such-program-xyz'] }),
      ]);
      // Handles being closed stay listed until libuv's close callbacks ran: poll, do not sleep.
      const settled = () => Object.entries(count()).every(([kind, n]) => n <= (before[kind] ?? 0));
      for (let i = 0; i < 100 && !settled(); i++) await new Promise((r) => setTimeout(r, 20));
      for (const [kind, n] of Object.entries(count())) {
        expect(n, kind).toBeLessThanOrEqual(before[kind] ?? 0);
      }
      expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    });
  });
}

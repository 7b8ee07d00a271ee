import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HeldProcessInfo, HostSpawnSpec, OutputLine } from '../../../src/host/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { isGone, waitGone } from '../../fixtures/exec/process-tracker.ts';
import { hostFixture, type HostFixture } from './host-fixture.ts';

/** Follows a process: lines by offset, and its exit. */
function follower() {
  const lines = new Map<number, OutputLine>();
  const order: number[] = [];
  let onExit!: (p: HeldProcessInfo) => void;
  const exited = new Promise<HeldProcessInfo>((r) => (onExit = r));
  return {
    lines,
    order,
    exited,
    handlers: {
      output: (batch: OutputLine[], offset: number) => {
        batch.forEach((l, i) => {
          lines.set(offset + i, l);
          order.push(offset + i);
        });
      },
      exit: (p: HeldProcessInfo) => onExit(p),
    },
    text: (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => lines.get(from + i)?.[1]),
  };
}

describe('process host: re-attach', () => {
  let fx: HostFixture;
  beforeEach(() => {
    fx = hostFixture();
  });
  afterEach(() => fx.cleanup());

  const spec = (key: string, script: string): HostSpawnSpec => ({
    key,
    script,
    cwd: fx.dataDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  });

  it('keeps a process running without a client and replays what it wrote meanwhile, in order', async () => {
    const go = join(fx.dataDir, 'go');
    const produced = join(fx.dataDir, 'produced');
    const finish = join(fx.dataDir, 'finish');
    const wait = (f: string) => `while [ ! -e ${f} ]; do sleep 0.01; done`;
    const script = `echo first; ${wait(go)}; seq 1 300; seq 1 50 >&2; touch ${produced}; ${wait(finish)}; echo last; exit 7`;
    const a = await fx.connect();
    const fa = follower();
    const started = await a.spawn(spec('step:e1:s1:1', script), { handlers: fa.handlers });
    await waitFor(() => fa.lines.size === 1);
    const pid = started.process.pid as number;
    a.close();
    await a.closed;

    writeFileSync(go, '');
    await waitFor(() => existsSync(produced)); // written while no client was connected
    const b = await fx.connect();
    expect(b.hostPid).toBe(a.hostPid);
    const [held] = await b.list();
    expect(held).toMatchObject({ key: 'step:e1:s1:1', state: 'running', pid });
    expect(held?.spool.nextOffset).toBe(351);

    const fb = follower();
    await b.attach('step:e1:s1:1', { fromOffset: 1, handlers: fb.handlers });
    await waitFor(() => fb.lines.size === 350);
    expect(fb.order).toEqual(Array.from({ length: 350 }, (_, i) => i + 1)); // each once, in order
    const out = [...fb.lines.values()].filter(([s]) => s === 'stdout').map(([, l]) => l);
    expect(out).toEqual(Array.from({ length: 300 }, (_, i) => String(i + 1)));
    expect([...fb.lines.values()].filter(([s]) => s === 'stderr')).toHaveLength(50);

    writeFileSync(finish, '');
    const exit = await fb.exited;
    expect(fb.text(351, 352)).toEqual(['last']);
    expect(exit).toMatchObject({ state: 'exited', pid, exit: { exitCode: 7, cancelled: false } });
    expect(exit.spool.nextOffset).toBe(352);
  });

  it('reports the real exit code of a process that ended while no client was connected', async () => {
    const go = join(fx.dataDir, 'go');
    const a = await fx.connect();
    const script = `while [ ! -e ${go} ]; do sleep 0.01; done; echo done-while-away; exit 42`;
    const { process: p } = await a.spawn(spec('step:e2:s1:1', script));
    a.close();
    await a.closed;
    writeFileSync(go, '');
    await waitGone(p.pid as number);

    const b = await fx.connect();
    await waitFor(async () => (await b.list())[0]?.state === 'exited');
    const fb = follower();
    const attached = await b.attach('step:e2:s1:1', { handlers: fb.handlers });
    expect(attached.process.exit).toMatchObject({ exitCode: 42, signal: null, timedOut: false });
    const exit = await fb.exited;
    expect(fb.text(0, 1)).toEqual(['done-while-away']);
    expect(exit.exit?.exitCode).toBe(42);
    await b.release('step:e2:s1:1');
    expect(await b.list()).toEqual([]);
  });

  it('re-attaches through the runner seam by key: no second run, the real result', async () => {
    const go = join(fx.dataDir, 'go');
    const count = join(fx.dataDir, 'count');
    const a = await fx.connect();
    const key = 'step:e3:s1:1';
    const script = `echo x >> ${count}; echo one; while [ ! -e ${go} ]; do sleep 0.01; done; echo two; exit 3`;
    const seen: string[] = [];
    const first = a.run({ key, script, onLine: (_s, l) => seen.push(l) });
    await waitFor(() => seen.length === 1);
    a.close();
    await expect(first).rejects.toMatchObject({ code: 'unavailable', recoverable: true });

    const b = await fx.connect();
    const again: Array<[string, number | undefined]> = [];
    const pending = b.run({ key, script, fromOffset: 1, onLine: (_s, l, o) => again.push([l, o]) });
    writeFileSync(go, '');
    const result = await pending;
    expect(result).toMatchObject({ exitCode: 3, cancelled: false, timedOut: false });
    expect(again).toEqual([['two', 1]]);
    expect(readFileSync(count, 'utf8')).toBe('x\n'); // ran once
    // Held until the caller has stored the result and releases it.
    expect((await b.list()).map((p) => p.state)).toEqual(['exited']);
    await b.release(key);
    expect(await b.list()).toEqual([]);
  });

  it('spawns a key once: concurrent and later spawns get the held process', async () => {
    const c = await fx.connect();
    const count = join(fx.dataDir, 'count');
    const s = spec('step:e4:s1:1', `echo ran >> ${count}; exit 5`);
    const results = await Promise.all([c.spawn(s), c.spawn(s), c.spawn(s)]);
    expect(results.map((r) => r.created).sort()).toEqual([false, false, true]);
    expect(new Set(results.map((r) => r.process.pid)).size).toBe(1);
    await waitFor(async () => (await c.list())[0]?.state === 'exited');
    const later = await c.spawn(s); // ended but not released: still held, never re-run
    expect(later).toMatchObject({ created: false, process: { exit: { exitCode: 5 } } });
    expect(readFileSync(count, 'utf8')).toBe('ran\n');
    await c.release(s.key);
    expect((await c.spawn(s)).created).toBe(true); // released: the key is free again
  });

  it('enforces a deadline with no client connected', async () => {
    const a = await fx.connect();
    const { process: p } = await a.spawn({
      ...spec('step:e5:s1:1', 'sleep 30'),
      deadlineAt: Date.now() + 400,
      killGraceMs: 200,
    });
    a.close();
    await a.closed;
    expect(await waitGone(p.pid as number, 10_000)).toBe(true);
    const b = await fx.connect();
    const held = await waitFor(async () => (await b.list()).find((h) => h.state === 'exited'));
    expect(held?.exit).toMatchObject({ timedOut: true, cancelled: false, signal: 'SIGTERM' });
    expect(held?.exit?.durationMs).toBeGreaterThanOrEqual(350);
    expect(isGone(p.pid as number)).toBe(true);
  });
});

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectHost, resolveHostPaths } from '../../../src/host/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { isGone, ProcessTracker, waitGone } from '../../fixtures/exec/process-tracker.ts';
import { hostFixture, type HostFixture } from './host-fixture.ts';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../fixtures/exec/${name}`, import.meta.url));

describe('process host lifetime', () => {
  let fx: HostFixture;
  const tracker = new ProcessTracker();
  beforeEach(() => {
    fx = hostFixture();
  });
  afterEach(async () => {
    tracker.killSurvivors();
    await fx.cleanup();
  });

  it('exits by itself when idle, removing its socket and host.json', async () => {
    const c = await fx.connect({ idleMs: 150 });
    const paths = resolveHostPaths(fx.dataDir);
    expect(existsSync(paths.socketPath)).toBe(true);
    expect(JSON.parse(readFileSync(paths.infoFile, 'utf8'))).toMatchObject({
      pid: c.hostPid,
      socketPath: paths.socketPath,
    });
    c.close();
    expect(await waitGone(c.hostPid, 10_000)).toBe(true);
    expect(existsSync(paths.socketPath)).toBe(false);
    expect(existsSync(paths.infoFile)).toBe(false);
  });

  it('stays up past its idle period while it holds a running process', async () => {
    // The deadline fires well after the idle period: the host was there to enforce it.
    const c = await fx.connect({ idleMs: 100 });
    const { process: p } = await c.spawn({
      ...fx.spec('step:l2:a:1', ['sleep', '30']),
      deadlineAt: Date.now() + 800,
      killGraceMs: 100,
    });
    tracker.track(p.pid);
    c.close();
    expect(await waitGone(p.pid as number, 10_000)).toBe(true);
    expect(await waitGone(c.hostPid, 10_000)).toBe(true); // then idle: gone by itself
    const d = await fx.connect();
    expect((await d.list())[0]?.exit).toMatchObject({ timedOut: true });
  });

  it('lets two servers starting at once share one host', async () => {
    const [a, b, c] = await Promise.all([fx.connect(), fx.connect(), fx.connect()]);
    expect(new Set([a.hostPid, b.hostPid, c.hostPid]).size).toBe(1);
  });

  it('falls back to a short socket path under the temp dir when the data dir is too deep', async () => {
    const deep = join(fx.dataDir, 'd'.repeat(60), 'e'.repeat(60));
    mkdirSync(deep, { recursive: true });
    const paths = resolveHostPaths(deep);
    expect(paths.socketPath).toBe(join(tmpdir(), `stator-host-${paths.tag}.sock`));
    const c = await connectHost({ dataDir: deep, idleMs: 30_000 });
    try {
      expect(JSON.parse(readFileSync(paths.infoFile, 'utf8')).socketPath).toBe(paths.socketPath);
      expect((await c.run({ argv: ['true'] })).exitCode).toBe(0);
    } finally {
      await c.shutdown({ killProcesses: true });
    }
    expect(existsSync(paths.socketPath)).toBe(false);
  });

  it('shutdown with killProcesses leaves no orphan', async () => {
    const c = await fx.connect();
    const lines: string[] = [];
    const { process: p } = await c.spawn(
      fx.spec('step:l5:a:1', ['sh', fixture('ignore-term.sh')]),
      {
        handlers: { output: (batch) => lines.push(...batch.map(([, l]) => l)) },
      },
    );
    await waitFor(() => lines.length === 1);
    const grandchild = Number(lines[0]);
    tracker.track(grandchild);
    tracker.track(p.pid);
    await c.shutdown({ killProcesses: true });
    expect(isGone(c.hostPid)).toBe(true);
    expect(isGone(p.pid as number)).toBe(true);
    expect(await waitGone(grandchild)).toBe(true);
    // The exit was recorded before the host left: the next host reports it.
    const d = await fx.connect();
    expect((await d.list())[0]?.exit).toMatchObject({ cancelled: true, signal: 'SIGKILL' });
  });

  it('shutdown without killProcesses refuses new spawns and waits for the processes', async () => {
    const c = await fx.connect();
    const go = join(fx.dataDir, 'go');
    const { process: p } = await c.spawn({
      ...fx.spec('step:l6:a:1', ['sh', '-c', `while [ ! -e ${go} ]; do sleep 0.01; done`]),
    });
    tracker.track(p.pid);
    const down = c.shutdown({ killProcesses: false });
    await expect(c.spawn(fx.spec('step:l6:b:1', ['true']))).rejects.toMatchObject({
      code: 'unavailable',
    });
    expect(isGone(c.hostPid)).toBe(false);
    writeFileSync(go, '');
    await down;
    expect(isGone(c.hostPid)).toBe(true);
  });

  it('fails pending calls with a recoverable UnavailableError when the host dies', async () => {
    const c = await fx.connect();
    const running = c.run({ argv: ['sleep', '30'], onSpawn: (pid) => tracker.track(pid) });
    await waitFor(async () => (await c.list()).length === 1);
    process.kill(c.hostPid, 'SIGKILL');
    await expect(running).rejects.toMatchObject({ code: 'unavailable', recoverable: true });
    await expect(c.list()).rejects.toMatchObject({ code: 'unavailable' });
    expect((await c.closed).code).toBe('unavailable');
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MARKER_ENV, reapDeadHost, resolveHostPaths } from '../../../src/host/index.ts';
import type { HostClient } from '../../../src/host/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { isGone, ProcessTracker, waitGone } from '../../fixtures/exec/process-tracker.ts';
import { hostFixture, type HostFixture } from './host-fixture.ts';

const fixture = (name: string) =>
  fileURLToPath(new URL(`../../fixtures/exec/${name}`, import.meta.url));
const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();

describe('reapDeadHost', () => {
  let fx: HostFixture;
  const tracker = new ProcessTracker();
  beforeEach(() => {
    fx = hostFixture();
  });
  afterEach(async () => {
    tracker.killSurvivors();
    await fx.cleanup();
  });

  /** A process the test starts itself, leading its own group, optionally marked. */
  const bystander = (env: Record<string, string> = {}): ChildProcess => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore', env });
    tracker.track(child.pid);
    return child;
  };
  const killHost = async (c: HostClient) => {
    process.kill(c.hostPid, 'SIGKILL');
    await c.closed;
    expect(await waitGone(c.hostPid)).toBe(true);
  };

  it('kills the recorded groups of a host killed -9, reports them lost, spares a reused pid', async () => {
    const c = await fx.connect();
    const lines: string[] = [];
    const step = await c.spawn(fx.spec('step:r1:a:1', ['sh', fixture('grandchild.sh')]), {
      handlers: { output: (batch) => lines.push(...batch.map(([, l]) => l)) },
    });
    const session = await c.spawn({ ...fx.spec('session:r1:1', ['sleep', '30']), stdin: 'pipe' });
    await waitFor(() => lines.length === 1);
    const grandchild = Number(lines[0]);
    const pids = [step.process.pid as number, grandchild, session.process.pid as number];
    pids.forEach((p) => tracker.track(p));
    const reused = bystander();
    await killHost(c);
    for (const p of pids) expect(isGone(p), `pid ${p} outlives its host`).toBe(false);
    // A record naming a live pid with another start time: that pid was reused since.
    const paths = resolveHostPaths(fx.dataDir);
    const record = {
      t: 'spawn',
      key: 'step:r1:reused:1',
      pid: reused.pid,
      startTime: '1',
      boot: bootId(),
      instance: 'gone',
      seq: 1,
      at: Date.now(),
      deadlineAt: null,
    };
    appendFileSync(paths.journalFile, `${JSON.stringify(record)}\n`);

    const report = await reapDeadHost({ dataDir: fx.dataDir });
    expect(report.hostAlive).toBe(false);
    expect(report.killed.sort()).toEqual(['session:r1:1', 'step:r1:a:1']);
    const lost = new Map(report.lost.map((p) => [p.key, p]));
    expect([...lost.keys()].sort()).toEqual(['session:r1:1', 'step:r1:a:1', 'step:r1:reused:1']);
    expect(lost.get('step:r1:reused:1')?.lost?.killed).toBe(false);
    expect(lost.get('step:r1:a:1')).toMatchObject({ state: 'lost', lost: { killed: true } });
    expect(lost.get('step:r1:a:1')?.spool).toEqual({ firstOffset: 0, nextOffset: 1 });
    for (const p of pids) expect(await waitGone(p), `pid ${p}`).toBe(true);
    expect(isGone(reused.pid as number)).toBe(false);

    // The next host holds them as lost; their output is still readable.
    const b = await fx.connect();
    expect(b.reaped?.killed).toEqual([]);
    expect((await b.list()).map((p) => p.state)).toEqual(['lost', 'lost', 'lost']);
    const replay: string[] = [];
    let lostExit: unknown;
    await b.attach('step:r1:a:1', {
      handlers: {
        output: (batch) => replay.push(...batch.map(([, l]) => l)),
        exit: (p) => (lostExit = p),
      },
    });
    await waitFor(() => lostExit !== undefined);
    expect(replay).toEqual([String(grandchild)]);
    expect(lostExit).toMatchObject({ state: 'lost', exit: null });
    const viaRunner = await b.run({ key: 'session:r1:1', argv: ['sleep', '30'] });
    expect(viaRunner).toMatchObject({ lost: true, exitCode: null });
  });

  it('kills a marked process whose record never reached the journal, and only that one', async () => {
    const c = await fx.connect();
    const done = await c.run({ key: 'step:r2:a:1', argv: ['true'] }); // instance seq 1, released
    expect(done.exitCode).toBe(0);
    const { tag } = resolveHostPaths(fx.dataDir);
    const marker = (seq: number, key: string, t = tag) => ({
      PATH: process.env.PATH ?? '',
      [MARKER_ENV]: `${t}:${c.instance}:${seq}:${key}`,
    });
    await killHost(c);
    const unrecorded = bystander(marker(2, 'step:r2:b:1')); // spawned, host died before the write
    const daemon = bystander(marker(1, 'step:r2:a:1')); // left by a finished, released step
    const foreign = bystander(marker(2, 'step:r2:b:1', 'f'.repeat(16))); // another data dir
    await waitFor(() =>
      readFileSync(`/proc/${unrecorded.pid}/environ`, 'latin1').includes(MARKER_ENV),
    );

    const report = await reapDeadHost({ dataDir: fx.dataDir });
    expect(report.killed).toEqual(['step:r2:b:1']);
    expect(report.lost).toMatchObject([
      { key: 'step:r2:b:1', pid: unrecorded.pid, lost: { killed: true } },
    ]);
    expect(await waitGone(unrecorded.pid as number)).toBe(true);
    expect(isGone(daemon.pid as number)).toBe(false);
    expect(isGone(foreign.pid as number)).toBe(false);
  });

  it('does nothing while the host is alive', async () => {
    const c = await fx.connect();
    const { process: p } = await c.spawn(fx.spec('step:r3:a:1', ['sleep', '30']));
    tracker.track(p.pid);
    const report = await reapDeadHost({ dataDir: fx.dataDir });
    expect(report).toEqual({ hostAlive: true, lost: [], exited: [], killed: [] });
    expect(isGone(p.pid as number)).toBe(false);
    expect((await c.list())[0]?.state).toBe('running');
  });
});

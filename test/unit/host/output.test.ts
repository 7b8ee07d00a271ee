import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKER_ENV, resolveHostPaths } from '../../../src/host/index.ts';
import type { HeldProcessInfo, HostClient, OutputLine } from '../../../src/host/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { hostFixture, type HostFixture } from './host-fixture.ts';
import { raw } from './raw-client.ts';

describe('process host: environment and output spool', () => {
  let fx: HostFixture;
  let c: HostClient;
  beforeAll(async () => {
    fx = hostFixture();
    c = await fx.connect();
  });
  afterAll(() => fx.cleanup());

  const base = { cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } };

  it('gives a process exactly the environment it names, plus its marker', async () => {
    const lines: string[] = [];
    let exit: HeldProcessInfo | undefined;
    await c.spawn(
      { key: 'step:o1:a:1', argv: ['/usr/bin/env'], cwd: '/', env: { A: '1', B: 'two words' } },
      { handlers: { output: (b) => lines.push(...b.map(([, l]) => l)), exit: (p) => (exit = p) } },
    );
    await waitFor(() => exit);
    const { tag } = resolveHostPaths(fx.dataDir);
    expect(lines.sort()).toEqual([
      'A=1',
      'B=two words',
      `${MARKER_ENV}=${tag}:${c.instance}:1:step:o1:a:1`,
    ]);
    // The host itself runs with an empty environment: nothing of the server's reaches it.
    expect(readFileSync(`/proc/${c.hostPid}/environ`, 'latin1')).toBe('');
  });

  it('keeps the spool bounded, dropping the oldest lines and counting them', async () => {
    let exit: HeldProcessInfo | undefined;
    await c.spawn(
      { ...base, key: 'step:o2:a:1', script: 'seq -w 1 20000', spoolBytes: 16 * 1024 },
      { handlers: { exit: (p) => (exit = p) } },
    );
    await waitFor(() => exit);
    const { firstOffset, nextOffset } = exit?.spool ?? { firstOffset: 0, nextOffset: 0 };
    expect(nextOffset).toBe(20000);
    expect(firstOffset).toBeGreaterThan(18000); // about 16 KiB of 6-byte records remain
    const got: Array<{ offset: number; skipped: number; lines: OutputLine[] }> = [];
    let done = false;
    await c.attach('step:o2:a:1', {
      handlers: {
        output: (lines, offset, skipped) => got.push({ offset, skipped, lines }),
        exit: () => (done = true),
      },
    });
    await waitFor(() => done);
    expect(got[0]).toMatchObject({ offset: firstOffset, skipped: firstOffset });
    const all = got.flatMap((g) => g.lines.map(([, l]) => Number(l)));
    expect(all).toEqual(Array.from({ length: 20000 - firstOffset }, (_, i) => firstOffset + i + 1));
  });

  it('holds the process back while its follower does not read, then delivers every line in order', async () => {
    const conn = await raw(c.paths.socketPath);
    conn.hello();
    await conn.message(0);
    conn.pause();
    const total = 400_000;
    conn.request({
      id: 1,
      op: 'spawn',
      spec: { ...base, key: 'step:o3:a:1', script: `seq 1 ${total}`, spoolBytes: 512 * 1024 },
      attach: { fromOffset: 0 },
    });
    // A follower that lags holds the process back (its pipe fills) instead of losing lines to
    // the spool's bound: the process is still running well after `seq` would have ended.
    await waitFor(async () => (await c.list()).some((p) => p.key === 'step:o3:a:1'));
    await new Promise((r) => setTimeout(r, 1500));
    const held = (await c.list()).find((p) => p.key === 'step:o3:a:1')!;
    expect(held.state).toBe('running');
    expect(held.exit).toBeNull();
    const rss = Number(
      /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${c.hostPid}/status`, 'utf8'))?.[1],
    );
    expect(rss / 1024).toBeLessThan(200); // MiB: the backlog waits in the pipe, not in the host
    conn.resume();
    await conn.until((m) => m.type === 'exit');
    let next = 0;
    let skipped = 0;
    let last = '';
    for (const m of conn.messages) {
      if (m.type !== 'output') continue;
      const out = m as unknown as { offset: number; skipped: number; lines: OutputLine[] };
      expect(out.offset).toBe(next + out.skipped); // each line once, in order
      skipped += out.skipped;
      next = out.offset + out.lines.length;
      last = out.lines.at(-1)?.[1] ?? last;
    }
    expect(next).toBe(total);
    expect(last).toBe(String(total));
    expect(skipped).toBe(0); // nothing lost although 400,000 lines pass a 512 KiB spool
    conn.destroy();
  }, 60_000);
});

/**
 * The process host of a cluster node (src/runtime/leases/host-leash.ts), against a real host:
 * a leash that is not renewed stops every process and records it lost (killed); a renewed one
 * keeps them; a restarted node stops what its previous incarnation left; one data directory
 * takes one node.
 */
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { systemClock } from '../../../../src/clock.ts';
import {
  keepHostOnLeash,
  leashMs,
  lockNodeDataDir,
  stopStaleProcesses,
} from '../../../../src/runtime/leases/host-leash.ts';
import { hostFixture, type HostFixture } from '../../host/host-fixture.ts';
import { isGone, waitGone } from '../../../fixtures/exec/process-tracker.ts';
import { waitFor } from '../../../helpers/poll.ts';

const logger = pino({ level: 'silent' });
let fx: HostFixture;

afterEach(async () => {
  await fx?.cleanup();
});

describe('the host leash', () => {
  it('stops every process and records it lost when the leash is not renewed', async () => {
    fx = hostFixture();
    const host = await fx.connect();
    const a = await host.spawn(fx.spec('step:x1:a:1', ['sleep', '30']));
    const b = await host.spawn(fx.spec('session:s1', ['sleep', '30']));
    await host.leash(300);
    // The server "dies": nobody renews. Both processes go within the leash (+ kill grace).
    expect(await waitGone(a.process.pid!, 3000)).toBe(true);
    expect(await waitGone(b.process.pid!, 3000)).toBe(true);
    // The host records the loss once it has reaped both (a moment after they are gone).
    const states = async () =>
      (await host.list()).map((p) => [p.key, p.state, p.exit, p.lost?.killed]).sort();
    const allLost = async () => (await states()).every(([, state]) => state === 'lost');
    await waitFor(allLost, { timeoutMs: 3000 }).catch(() => undefined); // the expect shows why
    expect(await states()).toEqual([
      ['session:s1', 'lost', null, true],
      ['step:x1:a:1', 'lost', null, true],
    ]);
  });

  it('keeps the processes while the node renews it, and is disarmed by the node at close', async () => {
    fx = hostFixture();
    const host = await fx.connect();
    const p = await host.spawn(fx.spec('step:x2:a:1', ['sleep', '30']));
    const stop = keepHostOnLeash(host, 800, systemClock, logger); // leash 400 ms, renewed each 100
    await new Promise((r) => setTimeout(r, 1500));
    expect(isGone(p.process.pid!)).toBe(false);
    await stop();
    await new Promise((r) => setTimeout(r, 800));
    expect(isGone(p.process.pid!)).toBe(false); // disarmed: nothing stopped it
    expect((await host.list())[0]).toMatchObject({ state: 'running' });
    expect(leashMs(10_000)).toBe(5000);
  });

  it('a follower learns of the stop as a lost process, not as an exit', async () => {
    fx = hostFixture();
    const host = await fx.connect();
    const ended = new Promise<unknown>((resolve) => {
      void host.spawn(fx.spec('step:x3:a:1', ['sleep', '30']), {
        handlers: { exit: (info) => resolve(info) },
      });
    });
    await host.leash(200);
    expect(await ended).toMatchObject({ state: 'lost', exit: null, lost: { killed: true } });
  });
});

describe('a restarted cluster node', () => {
  it('stops and releases what its previous incarnation left in the host', async () => {
    fx = hostFixture();
    const before = await fx.connect();
    const a = await before.spawn(fx.spec('step:x4:a:1', ['sleep', '30']));
    await before.spawn(fx.spec('step:x4:b:1', ['true']));
    before.close(); // the previous server is gone; the host keeps both
    const host = await fx.connect();
    expect(await stopStaleProcesses(host, 300, systemClock, logger)).toBe(1);
    expect(isGone(a.process.pid!)).toBe(true);
    expect(await host.list()).toEqual([]);
  });
});

describe('one node per data directory', () => {
  it('refuses a second node on the same data directory until the first lets go', async () => {
    fx = hostFixture();
    const release = await lockNodeDataDir(fx.dataDir);
    await expect(lockNodeDataDir(fx.dataDir)).rejects.toMatchObject({ code: 'conflict' });
    await release();
    const again = await lockNodeDataDir(fx.dataDir);
    await again();
  });
});

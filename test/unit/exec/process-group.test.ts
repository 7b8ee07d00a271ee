import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { isProcessGroupAlive, signalProcessGroup } from '../../../src/exec/index.ts';
import { ProcessTracker, waitGone } from '../../fixtures/exec/process-tracker.ts';

describe('process group primitives', () => {
  const tracker = new ProcessTracker();
  afterEach(() => tracker.killSurvivors());

  it('sees a live group, signals all of it, then sees it gone', async () => {
    const child = spawn('sh', ['-c', 'sleep 30 & echo "$!"; wait'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const pid = child.pid as number;
    tracker.track(pid);
    const [chunk] = (await once(child.stdout, 'data')) as [Buffer];
    const grandchild = Number(String(chunk).trim());
    tracker.track(grandchild);
    expect(isProcessGroupAlive(pid)).toBe(true);

    const exited = once(child, 'exit');
    expect(signalProcessGroup(pid, 'SIGKILL')).toBe(true);
    await exited;
    expect(await waitGone(grandchild)).toBe(true);
    // The grandchild may linger as a zombie until pid 1 reaps it; that is not "alive".
    expect(isProcessGroupAlive(pid)).toBe(false);
  });

  it('reports a group that does not exist', () => {
    // Pids are below /proc/sys/kernel/pid_max (at most 2^22); this group cannot exist.
    const none = 2 ** 22 + 12345;
    expect(signalProcessGroup(none, 'SIGTERM')).toBe(false);
    expect(isProcessGroupAlive(none)).toBe(false);
  });
});

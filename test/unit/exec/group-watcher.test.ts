import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { createGroupWatcher } from '../../../src/exec/group-watcher.ts';
import { signalProcessGroup } from '../../../src/exec/index.ts';
import { ProcessTracker } from '../../fixtures/exec/process-tracker.ts';

/** Starts `sleep 30` as the leader of a new process group. */
async function sleeper(tracker: ProcessTracker): Promise<ChildProcess> {
  const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
  await once(child, 'spawn');
  tracker.track(child.pid);
  return child;
}

describe('createGroupWatcher', () => {
  const tracker = new ProcessTracker();
  afterEach(() => tracker.killSurvivors());

  it('calls back for each group once it has no live member, and only then', async () => {
    const watcher = createGroupWatcher(10);
    const [a, b] = [await sleeper(tracker), await sleeper(tracker)];
    const gone: number[] = [];
    const aGone = new Promise<void>((r) =>
      watcher.watch(a.pid as number, () => (gone.push(1), r())),
    );
    const bGone = new Promise<void>((r) =>
      watcher.watch(b.pid as number, () => (gone.push(2), r())),
    );
    await new Promise((r) => setTimeout(r, 50)); // several polls while both groups live
    expect(gone).toEqual([]);
    signalProcessGroup(b.pid as number, 'SIGKILL');
    await bGone;
    expect(gone).toEqual([2]);
    signalProcessGroup(a.pid as number, 'SIGKILL');
    await aGone;
    expect(gone).toEqual([2, 1]);
  });

  it('stops polling once everything is unwatched', async () => {
    const watcher = createGroupWatcher(10);
    const child = await sleeper(tracker);
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    let called = false;
    const unwatch = watcher.watch(child.pid as number, () => (called = true));
    expect(timers()).toBe(before + 1);
    unwatch();
    expect(timers()).toBe(before);
    signalProcessGroup(child.pid as number, 'SIGKILL');
    await once(child, 'exit');
    expect(called).toBe(false);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HeldProcessInfo, HostClient, HostSpawnSpec } from '../../../src/host/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { isGone, ProcessTracker, waitGone } from '../../fixtures/exec/process-tracker.ts';
import { hostFixture, type HostFixture } from './host-fixture.ts';

/** Everything one attached process reports. */
function recorder() {
  const lines: string[] = [];
  const partials: string[] = [];
  let stdinClosed = 0;
  let exit: HeldProcessInfo | undefined;
  return {
    lines,
    partials,
    get stdinClosed() {
      return stdinClosed;
    },
    get exit() {
      return exit;
    },
    handlers: {
      output: (batch: Array<[string, string]>) => lines.push(...batch.map(([s, l]) => `${s}:${l}`)),
      partial: (stream: string, text: string) => partials.push(`${stream}:${text}`),
      stdinClosed: () => void stdinClosed++,
      exit: (p: HeldProcessInfo) => void (exit = p),
    },
  };
}

describe('process host: sessions (stdin, prompts, groups, signals)', () => {
  let fx: HostFixture;
  let c: HostClient;
  const tracker = new ProcessTracker();
  beforeAll(async () => {
    fx = hostFixture();
    c = await fx.connect();
  });
  afterAll(async () => {
    tracker.killSurvivors();
    await fx.cleanup();
  });

  const session = (key: string, script: string, extra: Partial<HostSpawnSpec> = {}) => ({
    key,
    script,
    cwd: fx.dataDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdin: 'pipe' as const,
    endGroupOnExit: true,
    ...extra,
  });

  it('writes to stdin and ends on closeStdin', async () => {
    const r = recorder();
    await c.spawn(session('session:io:1', 'cat'), { handlers: r.handlers });
    await c.write('session:io:1', 'hello\n');
    await waitFor(() => r.lines.length === 1);
    expect(r.lines).toEqual(['stdout:hello']);
    await c.closeStdin('session:io:1');
    await waitFor(() => r.exit);
    expect(r.exit?.exit?.exitCode).toBe(0);
    expect(r.exit?.stdin).toBe('closed');
  });

  it('reports the unfinished prompt and makes it a line of its own when answered', async () => {
    const r = recorder();
    const script = `printf 'Continue? '; read answer; echo "got $answer"`;
    const res = await c.spawn(session('session:io:2', script), {
      partials: true,
      handlers: r.handlers,
    });
    expect(res.attach?.partials).toEqual({ stdout: '', stderr: '' });
    await waitFor(() => r.partials.includes('stdout:Continue? '));
    const again = await c.attach('session:io:2', {
      fromOffset: 0,
      partials: true,
      handlers: r.handlers,
    });
    expect(again.partials.stdout).toBe('Continue? '); // a re-attaching client sees the prompt
    await c.write('session:io:2', 'yes\n');
    await waitFor(() => r.exit);
    expect(r.lines).toEqual(['stdout:Continue? ', 'stdout:got yes']);
  });

  it('ends what a session leader leaves in its group; a step leaves it alone', async () => {
    const script = 'sleep 30 & echo "$!"';
    const s = recorder();
    await c.spawn(session('session:io:3', script), { handlers: s.handlers });
    await waitFor(() => s.exit);
    const sessionChild = Number(s.lines[0]?.split(':')[1]);
    tracker.track(sessionChild);
    expect(await waitGone(sessionChild)).toBe(true);

    const st = recorder();
    await c.spawn(session('step:io:3:1', script, { stdin: 'ignore', endGroupOnExit: false }), {
      handlers: st.handlers,
    });
    await waitFor(() => st.exit);
    const daemon = Number(st.lines[0]?.split(':')[1]);
    tracker.track(daemon);
    expect(isGone(daemon)).toBe(false);
    expect(st.exit?.stdin).toBe('none');
  });

  it('signals the whole group and refuses input without a pipe', async () => {
    const r = recorder();
    const script = `trap 'echo usr1; exit 9' USR1; echo ready; while :; do sleep 0.01; done`;
    await c.spawn(session('session:io:4', script, { stdin: 'ignore' }), { handlers: r.handlers });
    await waitFor(() => r.lines.length === 1);
    await expect(c.write('session:io:4', 'x')).rejects.toMatchObject({ code: 'conflict' });
    await c.signal('session:io:4', 'SIGUSR1');
    await waitFor(() => r.exit);
    // (the shell may also report on stderr that its sleep child died of the signal)
    expect(r.lines.filter((l) => l.startsWith('stdout:'))).toEqual(['stdout:ready', 'stdout:usr1']);
    expect(r.exit?.exit?.exitCode).toBe(9);
    await expect(c.release('session:io:4')).resolves.toBeUndefined();
    await expect(c.signal('session:io:4', 'SIGTERM')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('tells when a session stops reading its stdin', async () => {
    const r = recorder();
    const script = `exec 0<&-; echo closed; while :; do sleep 0.01; done`;
    await c.spawn(session('session:io:5', script), { handlers: r.handlers });
    await waitFor(() => r.lines.length === 1);
    // The pipe breaks on the first write after the reader closed it.
    await c.write('session:io:5', 'x\n').catch(() => undefined);
    await waitFor(() => r.stdinClosed === 1);
    await expect(c.write('session:io:5', 'y\n')).rejects.toMatchObject({ code: 'conflict' });
    await c.cancel('session:io:5');
    await waitFor(() => r.exit);
    expect(r.exit?.exit).toMatchObject({ cancelled: true });
  });
});

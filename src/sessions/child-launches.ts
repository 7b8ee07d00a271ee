/**
 * The launches of a session as children of this process (no process host): each one a
 * `SessionProcess` leading its own process group, its reports counted while it is the session's
 * process. They end with this process's `close()`; a crash leaves them to the pid registry.
 * A launch whose secrets cannot be resolved fails before any process exists.
 * @module
 */
import type { SpawnResult } from '../../machines/session.machine.ts';
import type { PidRegistry } from '../exec/index.ts';
import { childLaunch } from './launch-spec.ts';
import type { Launcher, LaunchSession } from './launch-session.ts';
import type { ResolvedSessionManagerOptions } from './options.ts';
import { SessionProcess } from './session-process.ts';

/** Spawns a session's processes as children of this process. */
export class ChildLaunches implements Launcher {
  constructor(
    private readonly options: ResolvedSessionManagerOptions,
    private readonly session: LaunchSession,
    private readonly pids?: Pick<PidRegistry, 'record' | 'forget'>,
  ) {}

  async spawn(): Promise<SpawnResult> {
    const s = this.session;
    let secrets: Readonly<Record<string, string>>;
    try {
      secrets = await s.secrets.forLaunch();
    } catch (err) {
      return { ok: false, error: s.secrets.describe(err), at: s.now() };
    }
    if (s.closed || s.status !== 'starting') {
      return { ok: false, error: 'stopped while starting', at: s.now() };
    }
    const launch = childLaunch(s.record, this.options, secrets, this.pids);
    try {
      let proc: SessionProcess | null = null;
      const mine = () => proc !== null && proc === s.process && !s.closed;
      proc = await SessionProcess.spawn(launch, {
        line: (stream, line) => s.line(stream, line),
        output: (_stream, latest) => {
          if (mine()) s.report({ type: 'output', prompt: s.isPrompt(latest) });
        },
        stdinClosed: () => {
          if (mine()) s.report({ type: 'stdin.closed' });
        },
        exit: (code, signal) => {
          if (!mine()) return;
          s.process = null;
          s.report({ type: 'exited', code, signal, at: s.now() });
        },
      });
      if (s.closed || s.status !== 'starting') {
        // Closed or stopped while spawning: the new process must not outlive that.
        await proc.kill();
        return { ok: false, error: 'stopped while starting', at: s.now() };
      }
      s.process = proc;
      return { ok: true, pid: proc.pid };
    } catch (err) {
      return { ok: false, error: s.secrets.describe(err), at: s.now() };
    }
  }
}

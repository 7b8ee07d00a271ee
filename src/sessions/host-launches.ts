/**
 * The launches of one session through the process host. Each launch is held under
 * `session:<id>:<n>` (n counts the session's launches), and its number is stored in the record
 * before the host spawns it, so a server that dies at any point finds it again. How far its output
 * was handed on is stored with the record too (at most `OFFSET_STORE_MS` late): a restarted server
 * follows the launch from there, and after a crash the lines of that last moment may be handed on
 * twice (same `logSeq`), never lost. A launch whose exit was handled is released from the host
 * once a stored record no longer needs it, so a crash in between cannot lose the exit.
 *
 * The session is seen through `LaunchSession`; a launch's reports count only while it is the
 * session's process. A new launch resolves the session's secrets before its number is stored (a
 * missing one: no launch at all); a launch found again resolves them again before its output is
 * read, so replayed lines are masked like live ones.
 * @module
 */
import type { Logger } from 'pino';
import type { SpawnResult } from '../../machines/session.machine.ts';
import type { HeldProcessInfo, HostClient } from '../host/index.ts';
import type { SessionRecord } from '../store/index.ts';
import { sessionHostKey } from './host-keys.ts';
import { HostSessionProcess, type SessionHost } from './host-session-process.ts';
import { hostSpawnSpec } from './launch-spec.ts';
import type { ResolvedSessionManagerOptions } from './options.ts';
import { delay } from './session-process.ts';
import {
  LAUNCH_HELD,
  type HostLaunch,
  type Launcher,
  type LaunchSession,
} from './launch-session.ts';

/** The host calls the launches make. */
export type LaunchHost = SessionHost & Pick<HostClient, 'release'>;

/** How long a new output offset may wait to be stored. */
export const OFFSET_STORE_MS = 250;
/** How long the output of a lost launch is waited for at restore. */
const LOST_REPLAY_MS = 5000;

/** Spawns, follows and releases the launches of one session. */
export class HostLaunches implements Launcher {
  /** Launches whose exit was handled, released once a stored record allows. */
  readonly #releases = new Set<number>();

  constructor(
    private readonly host: LaunchHost,
    private readonly options: ResolvedSessionManagerOptions,
    private readonly logger: Logger,
    private readonly session: LaunchSession,
  ) {}

  /**
   * The machine's `spawnProcess`: a new launch, stored, then spawned; or with `resume`, the stored
   * launch, which the host holds (a restarted server taking it back while it was `starting`).
   */
  async spawn(resume: boolean): Promise<SpawnResult> {
    const s = this.session;
    const stored = s.record.hostProcess;
    const resumed = resume && stored !== undefined;
    let secrets: Readonly<Record<string, string>>;
    try {
      secrets = resumed ? await this.#recall() : await s.secrets.forLaunch();
    } catch (err) {
      return { ok: false, error: s.secrets.describe(err), at: s.now() };
    }
    const launch: HostLaunch = resumed
      ? stored
      : { launch: (stored?.launch ?? 0) + 1, offset: 0, seqBase: s.lastSeq };
    if (!resumed) s.setLaunch(launch, 'now');
    await s.flush(); // stored before a process can exist under its key
    // Stopped meanwhile (nothing to stop yet) or closed: nothing may start.
    if (s.closed || s.status !== 'starting') {
      return { ok: false, error: 'stopped while starting', at: s.now() };
    }
    // The session's process from now on: a stop while it spawns goes to it.
    const held = this.#follow(launch);
    s.process = held;
    const spec = hostSpawnSpec(s.record, held.key, this.options, secrets);
    try {
      const outcome = await held.spawn(spec, resumed ? this.#replayFrom(launch) : 0);
      if (outcome.ok) return { ok: true, pid: outcome.pid };
      this.#drop(held);
      this.#releases.add(launch.launch);
      return { ok: false, error: s.secrets.describe(outcome.error), at: s.now() };
    } catch (err) {
      this.#drop(held);
      return { ok: false, error: s.secrets.describe(err), at: s.now() };
    }
  }

  /**
   * Follows the stored launch, which an earlier server started (`info`: as the host lists it);
   * resolves with its latest output once the host answered.
   */
  async reattach(info: HeldProcessInfo): Promise<string> {
    const launch = this.session.record.hostProcess!;
    const held = this.#follow(launch);
    this.session.process = held;
    try {
      await this.#recall();
      await held.attach(info, this.#replayFrom(launch));
    } catch (err) {
      this.logger.error({ err, sessionId: this.session.id }, 're-attaching a session failed');
      held.hostGone();
    }
    return held.latest;
  }

  /**
   * Hands on what the stored launch, lost with its host, wrote that was not handed on yet; it is
   * released once the session's next state is stored.
   */
  async replayLost(info: HeldProcessInfo): Promise<void> {
    const launch = this.session.record.hostProcess!;
    this.#releases.add(launch.launch);
    if (info.spool.nextOffset <= launch.offset) return;
    const lost = this.#follow(launch);
    try {
      await this.#recall();
      await lost.attach(info, this.#replayFrom(launch));
      await Promise.race([lost.ended, delay(LOST_REPLAY_MS)]);
    } catch (err) {
      this.logger.warn({ err, sessionId: this.session.id }, 'output of a lost session not read');
    }
  }

  /** `stored` was written: releases the handled launches it no longer needs. */
  stored(stored: SessionRecord): void {
    for (const launch of this.#releases) {
      if (LAUNCH_HELD.includes(stored.status) && stored.hostProcess?.launch === launch) continue;
      this.#releases.delete(launch);
      this.host.release(sessionHostKey(this.session.id, launch)).catch((err: unknown) => {
        this.logger.warn({ err, sessionId: this.session.id, launch }, 'releasing failed');
      });
    }
  }

  /** Follows launch `launch`; its reports count while it is the session's process. */
  #follow(launch: HostLaunch): HostSessionProcess {
    const s = this.session;
    const key = sessionHostKey(s.id, launch.launch);
    const opts = { handedOn: launch.offset, graceMs: this.options.killGraceMs };
    const held: HostSessionProcess = new HostSessionProcess(this.host, key, opts, {
      line: (stream, line, offset, seen) =>
        s.line(stream, line, launch.seqBase + offset + 1, !seen),
      output: (_stream, latest) => {
        if (mine()) s.report({ type: 'output', prompt: s.isPrompt(latest) });
      },
      progress: (next) => {
        const now = s.record.hostProcess;
        if (mine() && now?.launch === launch.launch && next > now.offset) {
          s.setLaunch({ ...now, offset: next }, 'soon');
        }
      },
      stdinClosed: () => {
        if (mine()) s.report({ type: 'stdin.closed' });
      },
      exit: (code, signal) => {
        if (!mine()) return;
        s.process = null;
        this.#releases.add(launch.launch);
        s.report({ type: 'exited', code, signal, at: s.now() });
      },
    });
    const mine = () => held === s.process && !s.closed;
    return held;
  }

  /**
   * The secrets of a launch an earlier server started, before its output is read; when they
   * cannot be resolved any more its output is withheld (`***`), and the server's log says why.
   */
  async #recall(): Promise<Readonly<Record<string, string>>> {
    const { env, error } = await this.session.secrets.recall();
    if (error !== null) {
      this.logger.error(
        { err: error, sessionId: this.session.id },
        "a session's secrets are unavailable: its output is withheld",
      );
    }
    return env;
  }

  /** A launch that did not start is not the session's process. */
  #drop(held: HostSessionProcess): void {
    if (this.session.process === held) this.session.process = null;
  }

  /** The first offset to read again: enough to refill the log ring. */
  #replayFrom(launch: HostLaunch): number {
    return Math.max(0, launch.offset - this.options.maxLogLines);
  }
}

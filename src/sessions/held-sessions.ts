/**
 * Restoring sessions against what the process host holds. Each stored session that was live
 * finds its stored launch (`session:<id>:<n>`) in the host's list:
 *
 * - held, running or ended meanwhile, stored `running` or `stopping`: re-attach (same pid and
 *   counters, no status event; an exit meanwhile is handled now, by the policy);
 * - held, stored `starting` (the server died while spawning it): start again, taking the held
 *   process;
 * - held as lost (the host died too; the reaper killed it): its unread output is handed on, then it
 *   is reported crashed and the policy applies;
 * - not held (never spawned, or run without a host): restored as without a host (crashed).
 *
 * Every other held launch of a session (an earlier launch whose release was lost with the server,
 * or any launch of a session no longer stored) is ended if it still runs and released.
 * @module
 */
import type { Logger } from 'pino';
import type { HeldProcessInfo, HostClient } from '../host/index.ts';
import type { SessionRecord } from '../store/index.ts';
import { parseSessionHostKey } from './host-keys.ts';
import { LAUNCH_HELD } from './launch-session.ts';

/** How one stored session comes back. */
export type RestorePlan =
  | { kind: 'reattach'; info: HeldProcessInfo }
  | { kind: 'resume' }
  | { kind: 'lost'; info: HeldProcessInfo }
  | { kind: 'restore' };

/** The host calls a restore makes. */
export type RestoreHost = Pick<HostClient, 'list' | 'attach' | 'cancel' | 'release'>;

/** The session launches the host holds, by session id. */
export class HeldSessions {
  readonly #byId = new Map<string, HeldProcessInfo[]>();

  private constructor(
    private readonly host: RestoreHost | undefined,
    private readonly logger: Logger,
    held: HeldProcessInfo[],
  ) {
    for (const info of held) {
      const id = parseSessionHostKey(info.key)?.sessionId;
      if (id !== undefined) this.#byId.set(id, [...(this.#byId.get(id) ?? []), info]);
    }
  }

  /** What `host` holds (nothing without a host, or when it does not answer). */
  static async load(host: RestoreHost | undefined, logger: Logger): Promise<HeldSessions> {
    let held: HeldProcessInfo[] = [];
    try {
      held = (await host?.list()) ?? [];
    } catch (err) {
      logger.error({ err }, 'the process host did not list its processes; sessions are lost');
    }
    return new HeldSessions(host, logger, held);
  }

  /** How `record` comes back; the session's other held launches are discarded. */
  plan(record: SessionRecord): RestorePlan {
    const held = this.#byId.get(record.id) ?? [];
    this.#byId.delete(record.id);
    const launch = record.hostProcess?.launch;
    const live = LAUNCH_HELD.includes(record.status);
    const current = live
      ? held.find((h) => parseSessionHostKey(h.key)?.launch === launch)
      : undefined;
    for (const info of held) if (info !== current) this.#discard(info);
    if (current === undefined) return { kind: 'restore' };
    if (current.state === 'lost') return { kind: 'lost', info: current };
    if (record.status === 'starting') return { kind: 'resume' };
    return { kind: 'reattach', info: current };
  }

  /** Discards the launches of every session not planned (no longer stored). */
  discardRest(): void {
    for (const held of this.#byId.values()) for (const info of held) this.#discard(info);
    this.#byId.clear();
  }

  /** Ends a held launch nobody follows (once it ran out) and releases it. */
  #discard(info: HeldProcessInfo): void {
    const host = this.host;
    if (host === undefined) return;
    const release = () => {
      host.release(info.key).catch((err: unknown) => {
        this.logger.warn({ err, key: info.key }, 'releasing a stale session process failed');
      });
    };
    if (info.state !== 'running') return release();
    this.logger.warn({ key: info.key, pid: info.pid }, 'ending a session process nobody follows');
    const handlers = { exit: release };
    host
      .attach(info.key, { fromOffset: info.spool.nextOffset, handlers })
      .then(() => host.cancel(info.key))
      .catch((err: unknown) => {
        this.logger.warn({ err, key: info.key }, 'ending a stale session process failed');
      });
  }
}

/**
 * The SessionManager of one process: creates, commands, lists and restores the sessions it runs.
 * Every change is stored before the command answers. Sessions live in the process that created
 * them; in a cluster, sessions of other processes are read from the store and their commands
 * (start, stop, restart, input) are forwarded to the owner on `stator.session.<id>.in`.
 *
 * With a process host, session processes belong to the host: `close()` leaves them running and
 * the next `restore()` re-attaches to them (held-sessions.ts); `close({ stopProcesses: true })`
 * ends them as a close without a host does.
 *
 * A session's secrets are resolved at each launch; a start or restart whose launch found one
 * unavailable leaves the session crashed (its policy applies) and answers `secret_unavailable`.
 * @module
 */
import type { AnyActorRef } from 'xstate';
import type { HostClient } from '../host/index.ts';
import type { Logger } from 'pino';
import type { Bus } from '../bus/index.ts';
import type { Clock } from '../clock.ts';
import {
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  SecretUnavailableError,
  UnavailableError,
} from '../errors.ts';
import type { SessionEvent } from '../events.ts';
import type { PidRegistry } from '../exec/index.ts';
import { newId } from '../ids.ts';
import { createSecretResolver, type SecretResolver } from '../secrets/index.ts';
import type { SessionRecord, Store } from '../store/index.ts';
import {
  parseSessionDefinition,
  parseSessionPatch,
  sessionPreferencesSchema,
} from './definition.ts';
import { HeldSessions, type RestorePlan } from './held-sessions.ts';
import { LiveSession } from './live-session.ts';
import { resolveSessionManagerOptions, type SessionManagerOptions } from './options.ts';
import { listSessionViews, recordView } from './session-list.ts';
import { forwardToOwner, OWNER_TIMEOUT_MS } from './owner.ts';
import {
  checkInputText,
  checkLogsQuery,
  checkPreferenceKey,
  newSessionRecord,
} from './command-args.ts';
import type {
  SessionCloseOptions,
  SessionLogLine,
  SessionManager,
  SessionQuery,
  SessionStatus,
  SessionView,
} from './types.ts';

/** Everything the manager uses. */
export interface SessionManagerDeps {
  store: Pick<Store, 'putSession' | 'getSession' | 'listSessions' | 'deleteSession'>;
  /** Publishes a session's event (the event pipeline: `stator.session.<id>.out` and monitor). */
  emit(sessionId: string, event: SessionEvent): void;
  clock: Clock;
  logger: Logger;
  /** This process's name, stored with each session it runs. */
  node: string;
  /** Where session process groups are noted so a crashed server's leftovers get reaped. */
  pids?: Pick<PidRegistry, 'record' | 'forget'>;
  /**
   * The data directory's process host: session processes are spawned by it and outlive a restart
   * of the server (restore re-attaches to them). Without it they are children of this process.
   */
  host?: HostClient;
  /**
   * Resolves sessions' secrets at each launch; give the service's, so the values are masked in
   * its log too. @default a resolver reading this process's environment, registering nothing
   */
  secrets?: SecretResolver;
  /** Cluster mode: other processes' sessions are read from the store, commands forwarded. */
  cluster?: { bus: Pick<Bus, 'request' | 'subjects'> };
  /**
   * The inbound subjects (`stator.session.<id>.in`) of the sessions held here: subscribed while
   * this process holds the session, so their owner is the only process that answers them.
   */
  inbox?: { own(id: string): void; release(id: string): void };
  /**
   * Cluster: the sessions' leases (src/runtime/leases). A session is leased by the process that
   * holds it; when that process dies or shuts down another claims the lease (`takeOver`).
   */
  leases?: {
    acquire(id: string): Promise<'acquired' | 'mine' | 'held'>;
    release(id: string): void;
    /**
     * Resolves once this node may write the session's record (waiting for a heartbeat while
     * its lease is uncertain), false if it lost the session: then nothing is written.
     */
    confirm?(id: string): Promise<boolean>;
  };
  options?: SessionManagerOptions;
  /** Tells the live actor directory about the actor (GET /api/actors). */
  track?: (kind: string, id: string, actor: AnyActorRef) => void;
}

/** An inbound event on `stator.session.<id>.in` (validated by the actor router). */
export type SessionInbound =
  | { type: 'start' }
  | { type: 'stop' }
  | { type: 'restart' }
  | { type: 'input'; text: string; newline?: boolean }
  | { type: 'get' }
  | { type: 'health-check' }
  | { type: 'logs'; since?: number; limit?: number }
  | { type: 'update'; patch: Record<string, unknown> }
  | { type: 'set-preference'; key: string; value?: unknown }
  | { type: 'delete' };

const RESTING = (s: SessionStatus) => s !== 'starting' && s !== 'stopping';
/** Extra time a command waits beyond the kill grace before it answers with a timeout. */
const COMMAND_SLACK_MS = 10_000;

/** Holds the live sessions of one process and answers the commands addressed to them. */
export class LocalSessionManager implements SessionManager {
  readonly #sessions = new Map<string, LiveSession>();
  readonly #opts;
  readonly #secrets: SecretResolver;
  #restored = false;
  #closing: Promise<void> | undefined;

  constructor(private readonly deps: SessionManagerDeps) {
    this.#opts = resolveSessionManagerOptions(deps.options);
    this.#secrets = deps.secrets ?? createSecretResolver();
    // A host that went away took the pipes of its processes: they are ended, their exits handled.
    void deps.host?.closed.then(() => {
      if (!this.#closing) for (const s of this.#sessions.values()) s.hostGone();
    });
  }

  /** Sessions held by this process. */
  get size(): number {
    return this.#sessions.size;
  }

  async create(definition: unknown): Promise<SessionView> {
    this.#assertOpen();
    const def = parseSessionDefinition(definition);
    const max = this.#opts.maxSessions;
    if (this.#sessions.size >= max) {
      throw new ConflictError(
        `session limit reached: this server already holds ${max} sessions (maxSessions); ` +
          'delete one before creating another',
        { maxSessions: max, sessions: this.#sessions.size },
      );
    }
    const now = this.#now();
    const record = newSessionRecord(newId('ses'), this.deps.node, def, now);
    await this.deps.leases?.acquire(record.id);
    const live = this.#adopt(record);
    try {
      await this.deps.store.putSession(record);
    } catch (err) {
      this.#sessions.delete(record.id);
      this.deps.inbox?.release(record.id);
      throw err;
    }
    live.start();
    // Created either way: a start that found a secret missing shows in the session's lastError.
    if (def.autostart) {
      return this.start(record.id).catch((err: unknown) => {
        if (err instanceof SecretUnavailableError) return live.view();
        throw err;
      });
    }
    await live.flush();
    return live.view();
  }

  async update(
    id: string,
    patch: { name?: string; tags?: string[]; preferences?: Record<string, unknown> },
  ): Promise<SessionView> {
    const change = parseSessionPatch(patch);
    const live = this.#sessions.get(id);
    if (!live) return this.#forward(id, { type: 'update', patch });
    live.update(change);
    await live.flush();
    return live.view();
  }

  async setPreference(id: string, key: string, value: unknown): Promise<SessionView> {
    checkPreferenceKey(key);
    const live = this.#sessions.get(id);
    if (!live) return this.#forward(id, { type: 'set-preference', key, value });
    const preferences = { ...live.record.definition.preferences };
    if (value === undefined) delete preferences[key];
    else preferences[key] = value;
    const checked = sessionPreferencesSchema.safeParse(preferences);
    if (!checked.success) {
      throw InvalidArgumentError.format([
        { path: 'value', message: checked.error.issues[0]!.message },
      ]);
    }
    live.update({ preferences: JSON.parse(JSON.stringify(checked.data)) });
    await live.flush();
    return live.view();
  }

  async delete(id: string): Promise<void> {
    const live = this.#sessions.get(id);
    if (!live) return void (await this.#forward(id, { type: 'delete' }));
    if (live.status !== 'stopped' && live.status !== 'created') {
      live.send({ type: 'stop' });
      await live.waitFor(RESTING, this.#waitMs()).catch(() => undefined);
    }
    this.#sessions.delete(id);
    this.deps.inbox?.release(id);
    await live.close();
    await this.deps.store.deleteSession(id);
    this.deps.leases?.release(id);
    this.deps.emit(id, { type: 'session.deleted', sessionId: id });
  }

  /** The owner's view; a session whose owner is gone shows as last stored. */
  async get(id: string): Promise<SessionView> {
    const live = this.#sessions.get(id);
    if (live) return live.view();
    const record = await this.#record(id);
    return this.#ask<SessionView>(record, { type: 'get' }).catch((err: unknown) => {
      if (err instanceof UnavailableError) return recordView(record);
      throw err;
    });
  }

  async list(
    query: SessionQuery = {},
  ): Promise<{ items: SessionView[]; nextCursor: string | null }> {
    return listSessionViews(await this.#views(), query);
  }

  start(id: string): Promise<SessionView> {
    return this.#command(id, { type: 'start' }, async (live) => {
      if (live.status === 'stopping') await live.waitFor(RESTING, this.#waitMs());
      if (live.status !== 'running' && live.status !== 'starting') live.send({ type: 'start' });
      await live.waitFor((s) => s !== 'starting', this.#waitMs());
      await this.#launched(live);
    });
  }

  stop(id: string): Promise<SessionView> {
    return this.#command(id, { type: 'stop' }, async (live) => {
      live.send({ type: 'stop' });
      await live.waitFor(RESTING, this.#waitMs());
    });
  }

  restart(id: string): Promise<SessionView> {
    return this.#command(id, { type: 'restart' }, async (live) => {
      live.send({ type: 'restart' });
      await live.waitFor(RESTING, this.#waitMs());
      await this.#launched(live);
    });
  }

  async input(id: string, text: string, newline = true): Promise<SessionView> {
    checkInputText(text, this.#opts.maxInputBytes);
    return this.#command(id, { type: 'input', text, newline }, async (live) => {
      if (live.status !== 'running' || live.process === null) {
        throw new ConflictError(`session '${id}' is ${live.status}; input needs it running`, {
          status: live.status,
        });
      }
      // The answer shows the session as the input left it (busy), however fast it answers.
      return live.write(newline ? `${text}\n` : text);
    });
  }

  async nextActionable(): Promise<SessionView> {
    const waiting = (await this.#views()).filter(
      (v) => v.status === 'running' && v.activity === 'awaiting_input' && v.awaitingSince,
    );
    waiting.sort((a, b) =>
      a.awaitingSince! < b.awaitingSince!
        ? -1
        : a.awaitingSince! > b.awaitingSince!
          ? 1
          : a.id < b.id
            ? -1
            : 1,
    );
    if (waiting[0]) return waiting[0];
    const none = new NotFoundError('session', 'next-actionable');
    none.message = 'no session is awaiting input';
    throw none;
  }

  async healthCheck(id: string): Promise<SessionView & { alive: boolean }> {
    const live = this.#sessions.get(id);
    if (!live) return this.#forward(id, { type: 'health-check' });
    return { ...live.view(), alive: live.process?.alive() ?? false };
  }

  async logs(id: string, opts: { since?: number; limit?: number } = {}): Promise<SessionLogLine[]> {
    checkLogsQuery(opts);
    const live = this.#sessions.get(id);
    if (live) return live.logs(opts.since, opts.limit);
    return this.#forward(id, { type: 'logs', ...opts });
  }

  async restore(): Promise<void> {
    if (this.#restored) return;
    this.#restored = true;
    const held = await HeldSessions.load(this.deps.host, this.deps.logger);
    const restoring: Array<Promise<unknown>> = [];
    for (const record of await this.deps.store.listSessions()) {
      if (this.deps.cluster && record.node !== null && record.node !== this.deps.node) continue;
      if (this.#sessions.has(record.id)) continue;
      // Still leased by a live process (this node's previous life, not yet judged dead): not ours.
      if (this.deps.leases && (await this.deps.leases.acquire(record.id)) === 'held') continue;
      const live = this.#adopt({ ...record, node: this.deps.node });
      restoring.push(this.#restoreOne(live, held.plan(record)));
    }
    held.discardRest();
    await Promise.all(restoring);
    await Promise.all([...this.#sessions.values()].map((s) => s.flush()));
  }

  /**
   * Cluster: this process just claimed the lease of a session whose owner died or shut down, and
   * holds it from now on. It is restored as after a restart of its owner: its process died with
   * it, so it is `crashed` and its restart policy applies (started again here).
   */
  async takeOver(id: string): Promise<void> {
    if (this.#sessions.has(id) || this.#closing) return;
    const record = await this.deps.store.getSession(id);
    if (!record) return this.deps.leases?.release(id);
    if (this.#sessions.has(id)) return;
    const live = this.#adopt({ ...record, node: this.deps.node });
    await this.#restoreOne(live, { kind: 'restore' });
    await live.flush();
  }

  /** Cluster: another process took this session over: closed here, its process ended. */
  lose(id: string): void {
    const live = this.#sessions.get(id);
    if (!live) return;
    this.#sessions.delete(id);
    this.deps.inbox?.release(id);
    live.close().catch((err: unknown) => {
      this.deps.logger.error(
        { err, sessionId: id },
        'closing a session lost to another node failed',
      );
    });
  }

  /**
   * Handles `stator.session.<id>.in`, which this process subscribes only while it holds the
   * session: the commands and reads other processes forward, answered from the live session.
   */
  async inbound(id: string, event: SessionInbound): Promise<unknown> {
    // Left a moment ago (deleted, or closing): never forwarded on from here.
    if (!this.#sessions.has(id)) await this.#record(id).then((r) => Promise.reject(gone(r)));
    switch (event.type) {
      case 'start':
        return this.start(id);
      case 'stop':
        return this.stop(id);
      case 'restart':
        return this.restart(id);
      case 'input':
        return this.input(id, event.text, event.newline ?? true);
      case 'get':
        return this.get(id);
      case 'health-check':
        return this.healthCheck(id);
      case 'logs':
        return this.logs(id, {
          ...(event.since !== undefined && { since: event.since }),
          ...(event.limit !== undefined && { limit: event.limit }),
        });
      case 'update':
        return this.update(id, event.patch);
      case 'set-preference':
        return this.setPreference(id, event.key, event.value);
      case 'delete':
        await this.delete(id);
        return { id, deleted: true };
    }
  }

  /**
   * Closes every session without recording it (the stored states stay for the next restore).
   * Processes held by the process host run on unless `stopProcesses`; children of this process
   * are always ended. The first call decides.
   */
  close(options: SessionCloseOptions = {}): Promise<void> {
    const stopProcess = this.deps.host === undefined || (options.stopProcesses ?? false);
    this.#closing ??= (async () => {
      const all = [...this.#sessions.values()];
      for (const id of this.#sessions.keys()) this.deps.inbox?.release(id);
      this.#sessions.clear();
      await Promise.all(all.map((s) => s.close({ stopProcess })));
    })();
    return this.#closing;
  }

  /** Every session: this process's, and in a cluster the others' as last stored. */
  async #views(): Promise<SessionView[]> {
    const views = [...this.#sessions.values()].map((s) => s.view());
    if (this.deps.cluster) {
      for (const r of await this.deps.store.listSessions()) {
        if (!this.#sessions.has(r.id)) views.push(recordView(r));
      }
    }
    return views;
  }

  /**
   * Writes a live session's record, fenced in a cluster: a node that woke from a freeze after
   * another claimed the session (its process was stopped meanwhile) must not record the crash
   * over the new owner's record; its next beat tells it, and the session is closed here.
   */
  async #persist(record: SessionRecord): Promise<void> {
    const confirm = this.deps.leases?.confirm;
    if (confirm && !(await confirm(record.id))) return;
    await this.deps.store.putSession(record);
  }

  #adopt(record: SessionRecord): LiveSession {
    const live = new LiveSession(record, {
      clock: this.deps.clock,
      logger: this.deps.logger,
      options: this.#opts,
      emit: this.deps.emit,
      persist: (r) => this.#persist(r),
      secrets: this.#secrets,
      ...(this.deps.pids && { pids: this.deps.pids }),
      ...(this.deps.host && { host: this.deps.host }),
      ...(this.deps.track && { track: this.deps.track }),
    });
    this.#sessions.set(record.id, live);
    this.deps.inbox?.own(record.id);
    return live;
  }

  /**
   * Runs a command on a local session, or forwards it to the process that holds it; answers with
   * the view `run` returns, else the session once its changes are stored.
   */
  async #command(
    id: string,
    event: SessionInbound,
    run: (live: LiveSession) => Promise<SessionView | void>,
  ): Promise<SessionView> {
    this.#assertOpen();
    const live = this.#sessions.get(id);
    if (!live) return this.#forward<SessionView>(id, event);
    const view = await run(live);
    await live.flush();
    return view ?? live.view();
  }

  /** Asks the owner of a session this process does not hold (see owner.ts). */
  async #forward<T>(id: string, event: SessionInbound): Promise<T> {
    return this.#ask<T>(await this.#record(id), event);
  }

  #ask<T>(record: SessionRecord, event: SessionInbound): Promise<T> {
    // Held here by no live session (never restored, or lost): no other process answers for it.
    if (record.node === this.deps.node) return Promise.reject(gone(record));
    const stopping = event.type === 'stop' || event.type === 'restart' || event.type === 'delete';
    const timeoutMs = OWNER_TIMEOUT_MS + (stopping ? this.#waitMs() : 0);
    return forwardToOwner<T>(this.deps.cluster!.bus, record, event, timeoutMs);
  }

  /** The stored record of a session this process does not hold; NotFoundError when none. */
  async #record(id: string): Promise<SessionRecord> {
    const record = this.deps.cluster ? await this.deps.store.getSession(id) : undefined;
    if (!record) throw new NotFoundError('session', id);
    return record;
  }

  /**
   * Brings one stored session back by `plan`; a resting autostart session starts, unless its
   * process ran on (what happens to it from now on is as if this server had always run).
   */
  async #restoreOne(live: LiveSession, plan: RestorePlan): Promise<void> {
    if (plan.kind === 'reattach') return live.reattach(plan.info);
    if (plan.kind === 'resume') {
      live.resume();
      await live.waitFor((s) => s !== 'starting', this.#waitMs()).catch(() => undefined);
      return;
    }
    if (plan.kind === 'lost') await live.restoreLost(plan.info);
    else live.restore();
    const resting = ['created', 'stopped', 'failed', 'crashed'].includes(live.status);
    if (live.record.definition.autostart && resting) {
      await this.start(live.id).catch((err: unknown) => this.#startFailed(live.id, err));
    }
  }

  /** After a start: SecretUnavailableError (once stored) when its launch found a secret missing. */
  async #launched(live: LiveSession): Promise<void> {
    const failure = live.secretFailure;
    if (failure === null || !['crashed', 'restarting', 'failed'].includes(live.status)) return;
    await live.flush();
    throw failure;
  }

  #startFailed(id: string, err: unknown): void {
    this.deps.logger.error({ err, sessionId: id }, 'autostart of a session failed');
  }

  #waitMs(): number {
    return this.#opts.killGraceMs + COMMAND_SLACK_MS;
  }

  #now(): string {
    return new Date(this.deps.clock.now()).toISOString();
  }

  #assertOpen(): void {
    if (this.#closing) throw new UnavailableError('sessions are closing');
  }
}

/** A session stored as this process's (or another's) that no live session here holds. */
function gone(record: SessionRecord): UnavailableError {
  const node = record.node === null ? 'no node' : `'${record.node}'`;
  return new UnavailableError(`session '${record.id}' (on ${node}) is not held by a live process`);
}

/** Creates the session manager of one process. */
export function createSessionManager(deps: SessionManagerDeps): LocalSessionManager {
  return new LocalSessionManager(deps);
}

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
import { forwardToOwner, OWNER_TIMEOUT_MS, ownedElsewhere } from './owner.ts';
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
  cluster?: { bus: Pick<Bus, 'request'> };
  options?: SessionManagerOptions;
}

/** An inbound event on `stator.session.<id>.in` (validated by the actor router). */
export type SessionInbound =
  | { type: 'start' }
  | { type: 'stop' }
  | { type: 'restart' }
  | { type: 'input'; text: string; newline?: boolean };

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
    const live = this.#adopt(record);
    try {
      await this.deps.store.putSession(record);
    } catch (err) {
      this.#sessions.delete(record.id);
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
    const live = await this.#local(id);
    live.update(change);
    await live.flush();
    return live.view();
  }

  async setPreference(id: string, key: string, value: unknown): Promise<SessionView> {
    checkPreferenceKey(key);
    const live = await this.#local(id);
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
    const live = await this.#local(id);
    if (live.status !== 'stopped' && live.status !== 'created') {
      live.send({ type: 'stop' });
      await live.waitFor(RESTING, this.#waitMs()).catch(() => undefined);
    }
    this.#sessions.delete(id);
    await live.close();
    await this.deps.store.deleteSession(id);
    this.deps.emit(id, { type: 'session.deleted', sessionId: id });
  }

  async get(id: string): Promise<SessionView> {
    const live = this.#sessions.get(id);
    if (live) return live.view();
    const record = this.deps.cluster ? await this.deps.store.getSession(id) : undefined;
    if (!record) throw new NotFoundError('session', id);
    return recordView(record);
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
    const live = await this.#local(id);
    return { ...live.view(), alive: live.process?.alive() ?? false };
  }

  async logs(id: string, opts: { since?: number; limit?: number } = {}): Promise<SessionLogLine[]> {
    checkLogsQuery(opts);
    return (await this.#local(id)).logs(opts.since, opts.limit);
  }

  async restore(): Promise<void> {
    if (this.#restored) return;
    this.#restored = true;
    const held = await HeldSessions.load(this.deps.host, this.deps.logger);
    const restoring: Array<Promise<unknown>> = [];
    for (const record of await this.deps.store.listSessions()) {
      if (this.deps.cluster && record.node !== null && record.node !== this.deps.node) continue;
      if (this.#sessions.has(record.id)) continue;
      const live = this.#adopt({ ...record, node: this.deps.node });
      restoring.push(this.#restoreOne(live, held.plan(record)));
    }
    held.discardRest();
    await Promise.all(restoring);
    await Promise.all([...this.#sessions.values()].map((s) => s.flush()));
  }

  /**
   * Handles `stator.session.<id>.in`. For a session this process does not hold: undefined in a
   * cluster (its owner answers), NotFoundError otherwise.
   */
  async inbound(id: string, event: SessionInbound): Promise<SessionView | undefined> {
    if (!this.#sessions.has(id)) {
      if (this.deps.cluster) return undefined;
      throw new NotFoundError('session', id);
    }
    switch (event.type) {
      case 'start':
        return this.start(id);
      case 'stop':
        return this.stop(id);
      case 'restart':
        return this.restart(id);
      case 'input':
        return this.input(id, event.text, event.newline ?? true);
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

  #adopt(record: SessionRecord): LiveSession {
    const live = new LiveSession(record, {
      clock: this.deps.clock,
      logger: this.deps.logger,
      options: this.#opts,
      emit: this.deps.emit,
      persist: (r) => this.deps.store.putSession(r),
      secrets: this.#secrets,
      ...(this.deps.pids && { pids: this.deps.pids }),
      ...(this.deps.host && { host: this.deps.host }),
    });
    this.#sessions.set(record.id, live);
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
    if (!live) return this.#forward(id, event);
    const view = await run(live);
    await live.flush();
    return view ?? live.view();
  }

  async #forward(id: string, event: SessionInbound): Promise<SessionView> {
    const record = this.deps.cluster ? await this.deps.store.getSession(id) : undefined;
    if (!record) throw new NotFoundError('session', id);
    const stopping = event.type === 'stop' || event.type === 'restart';
    const timeoutMs = OWNER_TIMEOUT_MS + (stopping ? this.#opts.killGraceMs : 0);
    return forwardToOwner(this.deps.cluster!.bus, record, event, timeoutMs);
  }

  async #local(id: string): Promise<LiveSession> {
    const live = this.#sessions.get(id);
    if (live) return live;
    const record = this.deps.cluster ? await this.deps.store.getSession(id) : undefined;
    if (!record) throw new NotFoundError('session', id);
    throw ownedElsewhere(record);
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

/** Creates the session manager of one process. */
export function createSessionManager(deps: SessionManagerDeps): LocalSessionManager {
  return new LocalSessionManager(deps);
}

/**
 * The leases of one node: every execution it runs is leased (`x.<id>` names this node's holder)
 * before its first step, every session it holds likewise (`s.<id>`), and one liveness key per node incarnation (`h.<holder>`) is beaten every
 * TTL/3 with a revision-checked update. One request per beat keeps every lease of the node alive,
 * however many runs it holds (an execution lease is written once when taken and deleted when the
 * run ends).
 *
 * Every node watches the bucket and sweeps: a holder silent for a TTL is declared dead with a
 * revision-checked write (a beat that lands first wins), and the execution leases of a dead
 * holder, or released by a node that shut down, are claimed with revision-checked updates, so
 * exactly one node wins each; the winner resumes the run, or restores the session (`onClaimed`).
 *
 * A holder whose beat finds its key declared dead has lost every lease: `onLost` stops its
 * copies without recording anything, and it carries on as a new holder. Between beats the node
 * trusts its leases for TTL - TTL/3 after sending the last successful one; past that (a stalled
 * event loop, SIGSTOP, NATS unreachable) a lease is `uncertain` until the next beat answers.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.ts';
import { UnavailableError } from '../../errors.ts';
import { HolderLiveness } from './holder-liveness.ts';
import type { LeaseKv } from './lease-kv.ts';
import { leaseKeys, type LeaseKind } from './lease-names.ts';
import type { HolderValue, LeaseEntry, LeaseValue } from './lease-records.ts';
import type { ResolvedLeaseOptions } from './lease-options.ts';

/** Dependencies of the lease manager. */
export interface LeaseManagerDeps {
  kv: LeaseKv;
  clock: Clock;
  logger: Logger;
  /** This node's name (records, logs). */
  node: string;
  options: ResolvedLeaseOptions;
  /** What this node held and lost to another: stop it here without recording anything. */
  onLost(lost: LeaseRef[]): void;
  /** A lease this node just claimed from a dead or departed holder: resume what it leases. */
  onClaimed(claimed: LeaseRef): void;
}

/** What a lease is of. */
export interface LeaseRef {
  kind: LeaseKind;
  id: string;
}

/** How taking a lease went: `held` means another live node runs it. */
export type AcquireResult = 'acquired' | 'mine' | 'held';

/** Where this node stands on one execution. */
export type LeaseStanding = 'valid' | 'uncertain' | 'lost';

/** The leases of this node. */
export class LeaseManager {
  readonly liveness: HolderLiveness;
  #holder = '';
  #holderRevision = 0;
  /** When the last successful beat was sent (local clock); 0 before the first. */
  #trustedFrom = 0;
  /** Leases held here, by key, with the revision this node wrote. */
  readonly #owned = new Map<string, LeaseRef & { revision: number }>();
  /** Keys being taken by this node now. */
  readonly #claiming = new Set<string>();
  /** Execution and session leases of every node, by key, as the watch shows them. */
  readonly #index = new Map<string, { lease: LeaseValue; revision: number }>();
  #beatWaiters: Array<() => void> = [];
  #beating: Promise<void> | undefined;
  #timers: TimerHandle[] = [];
  #stopWatch: (() => void) | undefined;
  #closed = false;

  constructor(private readonly deps: LeaseManagerDeps) {
    this.liveness = new HolderLiveness(deps.options.ttlMs);
  }

  /** This incarnation's holder id. */
  get holder(): string {
    return this.#holder;
  }

  /** Ids of the executions (or sessions) leased here. */
  owned(kind: LeaseKind = 'execution'): string[] {
    return [...this.#owned.values()].filter((o) => o.kind === kind).map((o) => o.id);
  }

  /** Registers a holder, starts the watch, the beats and the sweeps. */
  async start(): Promise<void> {
    await this.#register();
    this.#stopWatch = await this.deps.kv.watch((e) => this.#observe(e));
    this.#loop(() => this.beat(), this.deps.options.beatMs);
    this.#loop(() => this.sweep(), this.deps.options.sweepMs);
  }

  /** Takes the lease of an execution (or session) for this node, unless a live node holds it. */
  async acquire(id: string, kind: LeaseKind = 'execution'): Promise<AcquireResult> {
    const key = leaseKeys.of(kind, id);
    if (this.#owned.has(key)) return 'mine';
    if (this.#holder === '') throw new UnavailableError('leases: no holder registered');
    if (this.#claiming.has(key)) return 'held';
    this.#claiming.add(key);
    try {
      const value = this.#lease(kind, id, 'held');
      const own = <R extends AcquireResult>(revision: number, result: R): R => {
        this.#owned.set(key, { kind, id, revision });
        return result;
      };
      const created = await this.deps.kv.create(key, value);
      if (created !== undefined) return own(created, 'acquired');
      const current = await this.deps.kv.get(key);
      if (current?.kind !== 'lease') {
        const again = await this.deps.kv.create(key, value);
        return again === undefined ? 'held' : own(again, 'acquired');
      }
      if (current.value.holder === this.#holder) return own(current.revision, 'mine');
      if (!this.#claimable(current.value)) return 'held';
      const claimed = await this.deps.kv.update(key, value, current.revision);
      return claimed === undefined ? 'held' : own(claimed, 'acquired');
    } finally {
      this.#claiming.delete(key);
    }
  }

  /** The run ended (its final record is stored), or the session was deleted: the lease goes. */
  release(id: string, kind: LeaseKind = 'execution'): void {
    const key = leaseKeys.of(kind, id);
    const owned = this.#owned.get(key);
    if (owned === undefined) return;
    this.#owned.delete(key);
    this.deps.kv.delete(key, owned.revision).catch((err: unknown) => {
      // Left behind, it is claimed when this holder is gone, and found finished (or deleted).
      this.deps.logger.warn({ err, id, kind }, 'leases: could not delete a lease');
    });
  }

  /** Where this node stands on the run (or session) `id` now. */
  standing(id: string, kind: LeaseKind = 'execution'): LeaseStanding {
    if (!this.#owned.has(leaseKeys.of(kind, id))) return 'lost';
    const trustedUntil = this.#trustedFrom + this.deps.options.trustMs;
    return this.deps.clock.now() < trustedUntil ? 'valid' : 'uncertain';
  }

  /** True while this node may act on `executionId` without asking (its lease is `valid`). */
  holds(executionId: string): boolean {
    return this.standing(executionId) === 'valid';
  }

  /**
   * For `/health`: why this node cannot act on its leases now (no holder registered, or its
   * heartbeat unanswered past its trust: its runs hold their events until a beat answers).
   */
  problem(): string | undefined {
    if (this.#closed) return undefined;
    if (this.#holder === '')
      return 'no lease holder registered (lost its leases; registering again)';
    const silentMs = this.deps.clock.now() - this.#trustedFrom;
    if (silentMs < this.deps.options.trustMs) return undefined;
    return `lease heartbeat unanswered for ${Math.round(silentMs / 1000)} s: runs wait for it`;
  }

  /** Resolves after the next beat has answered (beating now if none is under way). */
  nextBeat(): Promise<void> {
    const waited = new Promise<void>((resolve) => this.#beatWaiters.push(resolve));
    void this.beat();
    return waited;
  }

  /** Resolves true once this node may act on the run (or session) `id`, false if it lost it. */
  async confirm(id: string, kind: LeaseKind = 'execution'): Promise<boolean> {
    for (;;) {
      const standing = this.standing(id, kind);
      if (standing !== 'uncertain') return standing === 'valid';
      if (this.#closed) return false;
      await this.nextBeat();
    }
  }

  /** One heartbeat (the timer calls it every TTL/3). */
  beat(): Promise<void> {
    this.#beating ??= this.#beat().finally(() => {
      this.#beating = undefined;
      for (const wake of this.#beatWaiters.splice(0)) wake();
    });
    return this.#beating;
  }

  async #beat(): Promise<void> {
    if (this.#holder === '') return this.#register().catch(() => undefined);
    const sentAt = this.deps.clock.now();
    const key = leaseKeys.holder(this.#holder);
    try {
      let revision = await this.deps.kv.update(
        key,
        this.#holderValue(),
        this.#holderRevision,
        this.deps.options.beatMs,
      );
      if (revision === undefined) {
        // A beat whose answer was lost moved the revision on: still ours if still alive.
        const current = await this.deps.kv.get(key);
        if (current?.kind === 'holder' && current.value.state === 'alive') {
          revision = await this.deps.kv.update(key, this.#holderValue(), current.revision);
        }
      }
      if (revision === undefined) return this.#lostAll();
      this.#holderRevision = revision;
      // Back from a silence of its own: what it saw of others meanwhile says nothing.
      if (sentAt - this.#trustedFrom > 2 * this.deps.options.beatMs) {
        this.liveness.restart(this.deps.clock.now());
      }
      this.#trustedFrom = sentAt;
    } catch (err) {
      this.deps.logger.warn({ err: String(err) }, 'leases: heartbeat failed; retrying');
    }
  }

  /** One sweep: declares silent holders dead, claims the leases of dead ones and released ones. */
  async sweep(): Promise<void> {
    if (this.#closed || this.#holder === '') return;
    const now = this.deps.clock.now();
    // Unsure of its own liveness, a node judges nobody.
    if (now - this.#trustedFrom > 2 * this.deps.options.beatMs) return;
    const kv = this.deps.kv;
    for (const s of this.liveness.silent(now, this.#holder)) {
      const dead: HolderValue = { holder: s.holder, node: '?', state: 'dead', by: this.#holder };
      const revision = await kv.update(s.key, dead, s.revision).catch(() => undefined);
      if (revision !== undefined) {
        this.liveness.put(s.key, revision, dead, now);
        this.deps.logger.warn({ holder: s.holder }, 'leases: declared a silent node dead');
      }
    }
    const claims: Promise<void>[] = [];
    for (const [key, { lease, revision }] of this.#index) {
      if (lease.holder === this.#holder || this.#claiming.has(key) || !this.#claimable(lease)) {
        continue;
      }
      claims.push(this.#claim(key, lease, revision));
    }
    await Promise.all(claims);
    await this.#cleanUp(now);
  }

  /**
   * Shutdown: hands every lease over (`released`: any node claims it at once), then removes
   * this holder. Call it once the runs are stopped here.
   */
  async close(options: { handOver: boolean }): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) this.deps.clock.clearTimeout(t);
    this.#stopWatch?.();
    if (!options.handOver || this.#holder === '') return;
    const kv = this.deps.kv;
    await Promise.all(
      [...this.#owned].map(([key, o]) =>
        kv.update(key, this.#lease(o.kind, o.id, 'released'), o.revision).catch(() => 0),
      ),
    );
    this.deps.logger.info({ released: this.#owned.size }, 'leases: handed over');
    this.#owned.clear();
    await kv
      .get(leaseKeys.holder(this.#holder))
      .then((e) => e && kv.delete(e.key, e.revision))
      .catch(() => undefined);
  }

  async #claim(key: string, lease: LeaseValue, revision: number): Promise<void> {
    const { kind, id } = lease;
    this.#claiming.add(key);
    try {
      const got = await this.deps.kv.update(key, this.#lease(kind, id, 'held'), revision);
      if (got === undefined) return;
      this.#owned.set(key, { kind, id, revision: got });
      this.deps.logger.info({ kind, id, from: lease.node }, 'leases: took over');
      this.deps.onClaimed({ kind, id });
    } catch (err) {
      this.deps.logger.warn({ err: String(err), kind, id }, 'leases: claim failed');
    } finally {
      this.#claiming.delete(key);
    }
  }

  /** Removes the keys of holders this node declared dead once no lease names them. */
  async #cleanUp(now: number): Promise<void> {
    const named = new Set([...this.#index.values()].map((e) => e.lease.holder));
    for (const d of this.liveness.declaredBy(this.#holder)) {
      if (named.has(d.holder) || now - d.since < this.deps.options.ttlMs) continue;
      await this.deps.kv.delete(d.key, d.revision).catch(() => false);
    }
  }

  #claimable(lease: LeaseValue): boolean {
    if (lease.state === 'released') return true;
    return this.liveness.standing(lease.holder, this.deps.clock.now()) === 'dead';
  }

  #lostAll(): void {
    const lost: LeaseRef[] = [...this.#owned.values()].map(({ kind, id }) => ({ kind, id }));
    this.#owned.clear();
    this.deps.logger.error(
      { holder: this.#holder, runs: lost.length },
      'leases: this node was declared dead; stopping its copies of the runs it held',
    );
    this.#holder = '';
    this.#trustedFrom = 0;
    if (lost.length > 0) this.deps.onLost(lost);
    // A new incarnation takes work again; its beats and sweeps go on from the next tick.
    void this.#register().catch((err: unknown) =>
      this.deps.logger.warn({ err: String(err) }, 'leases: could not register again'),
    );
  }

  async #register(): Promise<void> {
    const holder = `${this.deps.node}-${randomBytes(4).toString('hex')}`;
    const sentAt = this.deps.clock.now();
    const value: HolderValue = { holder, node: this.deps.node, state: 'alive' };
    const revision = await this.deps.kv.create(leaseKeys.holder(holder), value);
    if (revision === undefined) throw new UnavailableError('leases: holder id taken');
    this.#holder = holder;
    this.#holderRevision = revision;
    this.#trustedFrom = sentAt;
    this.liveness.restart(this.deps.clock.now());
  }

  #observe(e: LeaseEntry): void {
    const now = this.deps.clock.now();
    if (e.kind === 'holder') return this.liveness.put(e.key, e.revision, e.value, now);
    if (e.kind === 'lease') {
      this.#index.set(e.key, { lease: e.value, revision: e.revision });
      // Taken by another node while this one thought it held it: lost.
      const owned = this.#owned.get(e.key);
      if (owned && e.value.holder !== this.#holder) {
        this.#owned.delete(e.key);
        this.deps.onLost([{ kind: owned.kind, id: owned.id }]);
      }
      return;
    }
    if (this.#index.delete(e.key)) return;
    this.liveness.deleted(e.key, now);
  }

  #lease(kind: LeaseKind, id: string, state: LeaseValue['state']): LeaseValue {
    return { kind, id, holder: this.#holder, node: this.deps.node, state };
  }

  #holderValue(): HolderValue {
    return { holder: this.#holder, node: this.deps.node, state: 'alive' };
  }

  #loop(fn: () => Promise<void>, everyMs: number): void {
    const tick = () => {
      if (this.#closed) return;
      void fn()
        .catch((err: unknown) => this.deps.logger.warn({ err: String(err) }, 'leases: tick failed'))
        .finally(() => {
          if (!this.#closed) this.#timers[slot] = this.deps.clock.setTimeout(tick, everyMs);
        });
    };
    const slot = this.#timers.length;
    this.#timers.push(this.deps.clock.setTimeout(tick, everyMs));
  }
}

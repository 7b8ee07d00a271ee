/**
 * Every live actor of this process, for the live actor API (`GET /api/actors`, the dashboard)
 * and for Stately's inspector. A root actor (engine, execution, session, trigger, monitor) is
 * tracked when it is created; the machines it spawns (steps) are found through its system's
 * inspection events. Each entry keeps the actor reference (its snapshot is read when asked, so
 * tracking costs no serialisation on the hot path) and a short ring of the transitions that
 * changed its state value, with the events that caused them. An actor leaves the directory when
 * it stops being active; a sweep catches actors stopped without a last snapshot event.
 * @module
 */
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { summarize } from './context-summary.ts';

/** How many transitions each actor keeps. */
export const TRANSITIONS_KEPT = 50;

/** One transition of an actor. */
export interface ActorTransition {
  at: string;
  event: string;
  from: unknown;
  to: unknown;
}

/** What the API shows of an actor in lists. */
export interface ActorBrief {
  kind: string;
  id: string;
  parent: string | null;
  node: string;
  machine: string;
  status: string;
  value: unknown;
  updatedAt: string;
}

/** What the API shows of one actor. */
export interface ActorDetail extends ActorBrief {
  context: unknown;
  children: Array<Pick<ActorBrief, 'kind' | 'id' | 'machine' | 'status' | 'value'>>;
  transitions: ActorTransition[];
}

interface Entry {
  kind: string;
  id: string;
  parent: string | null;
  ref: AnyActorRef;
  machine: string;
  transitions: ActorTransition[];
  lastValue: unknown;
  updatedAt: number;
  children: Set<string>;
}

const key = (kind: string, id: string) => `${kind}.${id}`;

/** The machine id of an actor, or undefined for actors that are not machines (no state value). */
function machineOf(ref: AnyActorRef): string | undefined {
  const logic = (ref as { logic?: { id?: unknown; config?: unknown } }).logic;
  return logic && typeof logic.id === 'string' && logic.config !== undefined ? logic.id : undefined;
}

/**
 * A spawned machine's name under its root: the id of the step it runs (`build`, `deploy[3]`),
 * else its local actor id (spawn ids are ordinals, kept short for speed).
 */
function childName(ref: AnyActorRef, snapshot: unknown): string {
  const context = (snapshot as { context?: { step?: { id?: unknown } } } | undefined)?.context;
  return typeof context?.step?.id === 'string' ? context.step.id : ref.id;
}

/** The live actors of one process. */
export class ActorDirectory {
  readonly #entries = new Map<string, Entry>();
  readonly #bySession = new Map<string, string>();
  readonly #listeners = new Set<(event: InspectionEvent) => void>();

  constructor(
    private readonly node: string,
    private readonly now: () => number,
  ) {}

  /** Forwards every inspection event of every tracked system (Stately's inspector). */
  forward(listener: (event: InspectionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Tracks a root actor and the machines it spawns. Call before `start()`. `parent`: the actor
   * that started it, as `<kind>.<id>` (an execution's engine).
   */
  track(kind: string, id: string, actor: AnyActorRef, parent?: string): void {
    const root = this.#add(kind, id, actor, parent ?? null);
    const rootKey = key(kind, id);
    actor.system.inspect((event: InspectionEvent) => {
      for (const l of this.#listeners) l(event);
      if (event.type !== '@xstate.snapshot') return;
      const ref = event.actorRef as AnyActorRef;
      let entryKey = this.#bySession.get(ref.sessionId);
      if (entryKey === undefined && ref !== actor) {
        // A machine the root spawned, seen at its first snapshot (its context names it).
        const machine = machineOf(ref);
        if (machine === undefined || (event.snapshot as { status?: string }).status !== 'active')
          return;
        const name = childName(ref, event.snapshot);
        const child = this.#add(machine, `${id}:${name}`, ref, rootKey, event.snapshot);
        root.children.add(key(child.kind, child.id));
        entryKey = key(child.kind, child.id);
      }
      const entry = entryKey === undefined ? undefined : this.#entries.get(entryKey);
      if (entry === undefined) return;
      const snapshot = event.snapshot as { status?: string; value?: unknown };
      if (snapshot.status !== 'active') {
        this.#remove(entry);
        return;
      }
      entry.updatedAt = this.now();
      if (snapshot.value !== entry.lastValue) {
        const from = entry.lastValue;
        entry.lastValue = snapshot.value;
        // Only transitions that moved the state: context-only updates are not listed.
        if (JSON.stringify(from) !== JSON.stringify(snapshot.value)) {
          entry.transitions.push({
            at: new Date(entry.updatedAt).toISOString(),
            event: event.event.type,
            from,
            to: snapshot.value,
          });
          if (entry.transitions.length > TRANSITIONS_KEPT) entry.transitions.shift();
        }
      }
    });
  }

  /** Live actors, optionally of one kind. */
  list(filter: { kind?: string } = {}): ActorBrief[] {
    const out: ActorBrief[] = [];
    for (const entry of this.#entries.values()) {
      if (filter.kind !== undefined && entry.kind !== filter.kind) continue;
      const brief = this.#brief(entry);
      if (brief !== undefined) out.push(brief);
    }
    return out;
  }

  /** One live actor with its context summary, children and last transitions. */
  get(kind: string, id: string): ActorDetail | undefined {
    const entry = this.#entries.get(key(kind, id));
    if (entry === undefined) return undefined;
    const brief = this.#brief(entry);
    if (brief === undefined) return undefined;
    const children: ActorDetail['children'] = [];
    for (const childKey of entry.children) {
      const child = this.#entries.get(childKey);
      const b = child && this.#brief(child);
      if (b)
        children.push({
          kind: b.kind,
          id: b.id,
          machine: b.machine,
          status: b.status,
          value: b.value,
        });
    }
    const snapshot = entry.ref.getSnapshot() as { context?: unknown };
    return {
      ...brief,
      context: summarize(snapshot.context),
      children,
      transitions: [...entry.transitions],
    };
  }

  /** Drops actors that stopped without a last snapshot event; returns how many. */
  sweep(): number {
    let removed = 0;
    for (const entry of [...this.#entries.values()]) {
      if ((entry.ref.getSnapshot() as { status?: string }).status !== 'active') {
        this.#remove(entry);
        removed += 1;
      }
    }
    return removed;
  }

  /** How many actors are tracked. */
  get size(): number {
    return this.#entries.size;
  }

  #add(kind: string, id: string, ref: AnyActorRef, parent: string | null, first?: unknown): Entry {
    // A child's first snapshot arrives before the actor holds it.
    const snapshot = (first ?? ref.getSnapshot()) as { value?: unknown } | undefined;
    const entry: Entry = {
      kind,
      id,
      parent,
      ref,
      machine: machineOf(ref) ?? kind,
      transitions: [],
      lastValue: snapshot?.value,
      updatedAt: this.now(),
      children: new Set(),
    };
    const k = key(kind, id);
    const previous = this.#entries.get(k);
    if (previous) this.#remove(previous);
    this.#entries.set(k, entry);
    this.#bySession.set(ref.sessionId, k);
    return entry;
  }

  #remove(entry: Entry): void {
    const k = key(entry.kind, entry.id);
    if (this.#entries.get(k) !== entry) return;
    this.#entries.delete(k);
    this.#bySession.delete(entry.ref.sessionId);
    for (const childKey of entry.children) {
      const child = this.#entries.get(childKey);
      if (child) this.#remove(child);
    }
    if (entry.parent !== null) this.#entries.get(entry.parent)?.children.delete(k);
  }

  #brief(entry: Entry): ActorBrief | undefined {
    const snapshot = entry.ref.getSnapshot() as { status?: string; value?: unknown } | undefined;
    if (snapshot?.status !== 'active') {
      this.#remove(entry);
      return undefined;
    }
    return {
      kind: entry.kind,
      id: entry.id,
      parent: entry.parent,
      node: this.node,
      machine: entry.machine,
      status: snapshot.status,
      value: snapshot.value ?? null,
      updatedAt: new Date(entry.updatedAt).toISOString(),
    };
  }
}

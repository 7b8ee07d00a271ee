/**
 * Matches the work queue to engine slots. The dispatcher is the queue's consumer: its capacity
 * is the free slots of engines that are open (idle or running), counted by the dispatcher
 * itself (taken on delivery, given back when the engine has freed the slot), so it never takes
 * more than the engines can start even while they are still processing earlier offers. Each
 * item is adopted (made a live run) before its engine is told to execute it.
 *
 * A slot is given back when the engine's own count of finished runs grows, not when the run's
 * promise settles: the engine learns of the end a few microtasks later, and an offer made in
 * between was refused ("no free slot"), re-queued and adopted again (a store read) — for
 * nearly every run under load.
 * @module
 */
import type { ActorRefFrom } from 'xstate';
import type { Logger } from 'pino';
import type { engineMachine } from '../../machines/engine.machine.ts';
import type { WorkConsumer, WorkItem, WorkLease, WorkQueue } from './work-queue.ts';
import type { LiveExecution } from './live-executions.ts';

type EngineRef = ActorRefFrom<typeof engineMachine>;

interface EngineSlot {
  id: string;
  ref: EngineRef;
  slots: number;
  inFlight: number;
  /** The engine's `completed` count when last seen. */
  completed: number;
}

/** Dependencies of the dispatcher. */
export interface DispatcherDeps {
  queue: WorkQueue;
  adopt: (executionId: string) => Promise<LiveExecution | undefined>;
  /** Forgets an adopted run that goes back to the queue. */
  forget: (executionId: string) => void;
  logger: Logger;
}

/** The work queue's consumer. */
export class Dispatcher implements WorkConsumer {
  readonly #engines: EngineSlot[] = [];
  readonly #leases = new Map<string, WorkLease>();
  #next = 0;

  constructor(private readonly deps: DispatcherDeps) {}

  /** Adds an engine; pumps whenever it changes state (resume, drain...). */
  addEngine(id: string, ref: EngineRef, slots: number): void {
    const slot: EngineSlot = {
      id,
      ref,
      slots,
      inFlight: 0,
      completed: ref.getSnapshot().context.completed,
    };
    this.#engines.push(slot);
    ref.on('engine.rejected', (e) => {
      slot.inFlight = Math.max(0, slot.inFlight - 1);
      this.deps.forget(e.executionId);
      this.#leases.get(e.executionId)?.release();
      this.#leases.delete(e.executionId);
    });
    ref.subscribe((snap) => {
      const freed = snap.context.completed - slot.completed;
      if (freed > 0) {
        slot.completed = snap.context.completed;
        slot.inFlight = Math.max(0, slot.inFlight - freed);
      }
      this.deps.queue.poke();
    });
  }

  /** Free slots across open engines. */
  capacity(): number {
    let free = 0;
    for (const slot of this.#engines) if (isOpen(slot)) free += slot.slots - slot.inFlight;
    return Math.max(0, free);
  }

  /** Slots in use across engines. */
  get busy(): number {
    return this.#engines.reduce((n, e) => n + e.inFlight, 0);
  }

  take(item: WorkItem, lease: WorkLease): void {
    if (this.#leases.has(item.executionId)) return lease.done();
    const slot = this.#pickEngine();
    if (!slot) return lease.release();
    slot.inFlight++;
    this.deps.adopt(item.executionId).then(
      (live) => {
        if (!live) {
          // Finished or cancelled while queued: nothing to run.
          slot.inFlight--;
          lease.done();
          this.deps.queue.poke();
          return;
        }
        this.#leases.set(item.executionId, lease);
        slot.ref.send({ type: 'execute', executionId: item.executionId });
      },
      (err: unknown) => {
        slot.inFlight--;
        this.deps.logger.error({ err, executionId: item.executionId }, 'adopting a run failed');
        lease.release();
      },
    );
  }

  /** The run finished and its record is stored: settle its lease for good. */
  finished(executionId: string): void {
    this.#leases.get(executionId)?.done();
    this.#leases.delete(executionId);
  }

  /** The run was abandoned (shutdown): give it back for another process. */
  abandoned(executionId: string): void {
    this.#leases.get(executionId)?.release();
    this.#leases.delete(executionId);
  }

  /** Keeps leases of running work alive (cluster queues expire idle leases). */
  touchAll(): void {
    for (const lease of this.#leases.values()) lease.touch();
  }

  #pickEngine(): EngineSlot | undefined {
    const n = this.#engines.length;
    for (let k = 0; k < n; k++) {
      const slot = this.#engines[(this.#next + k) % n]!;
      if (isOpen(slot) && slot.inFlight < slot.slots) {
        this.#next = (this.#next + k + 1) % n;
        return slot;
      }
    }
    return undefined;
  }
}

function isOpen(slot: EngineSlot): boolean {
  const snap = slot.ref.getSnapshot();
  // Engine states are flat: compare values (`matches()` parses them on every call).
  return snap.status === 'active' && (snap.value === 'idle' || snap.value === 'running');
}

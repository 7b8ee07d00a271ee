/**
 * Hands queued executions to engines with free slots. The dispatcher counts what it gave each
 * engine (released when the run ends), so it never offers more than an engine's slots even
 * while the engine is still processing earlier offers. Paused, draining and stopped engines
 * are skipped; an engine that refuses puts the work back at the head of the queue.
 * @module
 */
import type { ActorRefFrom } from 'xstate';
import type { engineMachine } from '../../machines/engine.machine.ts';
import type { WorkQueue } from './work-queue.ts';

type EngineRef = ActorRefFrom<typeof engineMachine>;

interface EngineSlot {
  ref: EngineRef;
  slots: number;
  inFlight: number;
}

/** Matches the work queue to engine slots. */
export class Dispatcher {
  readonly #engines: EngineSlot[] = [];
  #next = 0;
  #pumping = false;

  constructor(private readonly queue: WorkQueue) {}

  /** Adds an engine; pumps whenever it changes state (resume, drain...). */
  addEngine(ref: EngineRef, slots: number): void {
    const slot: EngineSlot = { ref, slots, inFlight: 0 };
    this.#engines.push(slot);
    ref.on('engine.rejected', (e) => {
      slot.inFlight = Math.max(0, slot.inFlight - 1);
      this.queue.putBack({ executionId: e.executionId });
    });
    ref.subscribe(() => this.pump());
  }

  /** Called when a run ends on `engineId`: its slot is free again. */
  release(engineId: string): void {
    const slot = this.#engines.find((e) => e.ref.getSnapshot().context.engineId === engineId);
    if (slot) slot.inFlight = Math.max(0, slot.inFlight - 1);
    this.pump();
  }

  /** Slots in use across engines (as the dispatcher counts them). */
  get busy(): number {
    return this.#engines.reduce((n, e) => n + e.inFlight, 0);
  }

  /** Offers queued work to engines with free slots, round-robin. */
  pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.queue.size > 0) {
        const slot = this.#pickEngine();
        if (!slot) break;
        const item = this.queue.take();
        if (!item) break;
        slot.inFlight++;
        slot.ref.send({ type: 'execute', executionId: item.executionId });
      }
    } finally {
      this.#pumping = false;
    }
  }

  #pickEngine(): EngineSlot | undefined {
    const n = this.#engines.length;
    for (let k = 0; k < n; k++) {
      const slot = this.#engines[(this.#next + k) % n]!;
      const snap = slot.ref.getSnapshot();
      const open = snap.status === 'active' && (snap.matches('idle') || snap.matches('running'));
      if (open && slot.inFlight < slot.slots) {
        this.#next = (this.#next + k + 1) % n;
        return slot;
      }
    }
    return undefined;
  }
}

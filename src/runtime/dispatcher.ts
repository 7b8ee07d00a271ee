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
 *
 * In a cluster each run is leased before it starts (leases/): a request for a run that a live
 * node holds (a work message orphaned by a node that died, redelivered after its run was taken
 * over) or that has finished is acked and skipped, never run twice. Runs this node took over
 * from a dead node (`takeOver`) have no work message: they wait here for a slot ahead of the
 * queue, so they resume as soon as one is free.
 *
 * A workflow with per-key limits (`runConcurrency`, `rateLimit`, `debounce`) passes the flow
 * gate after its adoption: a run the gate holds gives its slot back and waits in the gate, stored
 * `pending`.
 * @module
 */
import type { ActorRefFrom } from 'xstate';
import type { Logger } from 'pino';
import type { engineMachine } from '../../machines/engine.machine.ts';
import type { WorkConsumer, WorkItem, WorkLease, WorkQueue } from './work-queue/index.ts';
import type { LiveExecution } from './live-executions.ts';
import type { LeaseManager } from './leases/index.ts';
import type { FlowGate, FlowWait } from './flow/index.ts';
import { flowControlsOf, type FlowControls } from '../workflow/index.ts';
import { unrefTimer, type Clock } from '../clock.ts';

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
  /** Times the retry of a failed adoption. */
  clock: Clock;
  /** Cluster: the leases of running executions (absent: one process, nothing to lease). */
  leases?: Pick<LeaseManager, 'acquire' | 'release'>;
  /**
   * Per-key flow control (`runConcurrency`, `rateLimit`): a run it holds leaves its slot and the
   * queue, and comes back through the queue when the gate says it may start (flow/).
   */
  flow?: FlowGate;
  /** A run the gate holds: why it waits (recorded). */
  held?: (executionId: string, wait: FlowWait) => void;
}

/** How long a taken-over run waits before its adoption is tried again after a failure. */
const ADOPT_RETRY_MS = 1000;

/** The work queue's consumer. */
export class Dispatcher implements WorkConsumer {
  readonly #engines: EngineSlot[] = [];
  readonly #leases = new Map<string, WorkLease>();
  /** Runs sent to an engine or waiting here for one (taken over), until they end or leave. */
  readonly #active = new Set<string>();
  /** Runs taken over from a dead node, adopted, waiting for a slot (no work message). */
  readonly #takeovers: string[] = [];
  /** Workflows with per-key limits this node cannot enforce (warned once). */
  readonly #unlimited = new Set<string>();
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
      if (this.#active.has(e.executionId) && !this.#leases.has(e.executionId)) {
        // A taken-over run: it waits for another slot (its lease is still this node's).
        this.#takeovers.unshift(e.executionId);
        return;
      }
      this.#active.delete(e.executionId);
      this.deps.flow?.release(e.executionId);
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
      this.#pump();
      this.deps.queue.poke();
    });
  }

  /** Free slots across open engines. */
  capacity(): number {
    let free = 0;
    for (const slot of this.#engines) if (isOpen(slot)) free += slot.slots - slot.inFlight;
    return Math.max(0, free - this.#takeovers.length);
  }

  /** Slots in use across engines. */
  get busy(): number {
    return this.#engines.reduce((n, e) => n + e.inFlight, 0);
  }

  take(item: WorkItem, lease: WorkLease): void {
    const slot = this.#pickEngine();
    if (!slot) return lease.release();
    slot.inFlight++;
    const id = item.executionId;
    const skip = () => {
      slot.inFlight--;
      lease.done();
      this.deps.queue.poke();
    };
    const leased = this.deps.leases?.acquire(id) ?? Promise.resolve('acquired' as const);
    leased
      .then(async (result) => {
        // Another live node runs it, or this one already does: this message is a stale copy.
        if (result === 'held' || this.#active.has(id)) return skip();
        const live = await this.deps.adopt(id);
        if (!live) {
          // Finished or cancelled while queued: nothing to run.
          this.deps.leases?.release(id);
          this.deps.flow?.release(id);
          return skip();
        }
        const gated = this.#gate(live);
        const wait = gated && (await gated);
        if (wait) {
          // Held by a per-key limit: it leaves this slot and the queue; the gate queues it again.
          this.deps.forget(id);
          this.deps.leases?.release(id);
          this.deps.held?.(id, wait);
          return skip();
        }
        this.#leases.set(id, lease);
        this.#active.add(id);
        slot.ref.send({ type: 'execute', executionId: id });
      })
      .catch((err: unknown) => {
        slot.inFlight--;
        this.deps.logger.error({ err, executionId: id }, 'adopting a run failed');
        lease.release();
      });
  }

  /**
   * A run whose lease this node just claimed from a dead or departed node: adopted now (its
   * lost steps are reported), started as soon as a slot is free, ahead of the queue.
   */
  takeOver(executionId: string): void {
    if (this.#active.has(executionId)) return;
    this.#active.add(executionId);
    this.deps
      .adopt(executionId)
      .then((live) => {
        if (!this.#active.has(executionId)) return; // lost again meanwhile
        if (!live) {
          this.#active.delete(executionId);
          this.deps.leases?.release(executionId);
          return;
        }
        // Not started yet (its node died between taking its lease and starting it, or while a
        // flow limit held it): it passes the gate like any run; a started one is counted there.
        return Promise.resolve(this.#gate(live)).then((wait) => {
          if (!this.#active.has(executionId)) return;
          if (wait) {
            this.#active.delete(executionId);
            this.deps.forget(executionId);
            this.deps.leases?.release(executionId);
            this.deps.held?.(executionId, wait);
            return;
          }
          this.#takeovers.push(executionId);
          this.#pump();
        });
      })
      .catch((err: unknown) => {
        this.deps.logger.warn({ err, executionId }, 'adopting a taken-over run failed; retrying');
        this.#active.delete(executionId);
        unrefTimer(this.deps.clock.setTimeout(() => this.takeOver(executionId), ADOPT_RETRY_MS));
      });
  }

  /**
   * Another node holds the run now (this node was declared dead): its work message is settled
   * for good and it leaves this node. Its actor is stopped by the caller.
   */
  lost(executionId: string): void {
    const waiting = this.#takeovers.indexOf(executionId);
    if (waiting >= 0) this.#takeovers.splice(waiting, 1);
    this.#active.delete(executionId);
    this.#leases.get(executionId)?.done();
    this.#leases.delete(executionId);
  }

  /** Why the run must wait for a per-key limit, or undefined when it may start. */
  #gate(live: LiveExecution): Promise<FlowWait | undefined> | undefined {
    const controls = flowControlsOf(live.definition);
    // Most workflows have no per-key limits: they pass without a turn of the event loop.
    if (!controls) return undefined;
    return this.#admit(live, controls);
  }

  async #admit(live: LiveExecution, controls: FlowControls): Promise<FlowWait | undefined> {
    const flow = this.deps.flow;
    const { record } = live;
    if (!flow) {
      // A cluster node opened without a flow bucket (a library caller that passed none) cannot
      // share limits with other nodes: say so once per workflow rather than pretend.
      if (!this.#unlimited.has(record.workflowId)) {
        this.#unlimited.add(record.workflowId);
        this.deps.logger.warn(
          { workflowId: record.workflowId },
          'runConcurrency and rateLimit are not enforced: this cluster node has no flow bucket',
        );
      }
      return undefined;
    }
    const verdict = await flow.admit({
      executionId: record.id,
      workflowId: record.workflowId,
      ...(record.priority !== undefined && { priority: record.priority }),
      controls,
      inputs: live.inputs,
      resumed: record.startedAt !== null,
      createdAt: Date.parse(record.createdAt),
    });
    return verdict.start ? undefined : verdict.wait;
  }

  /** Starts waiting taken-over runs while engines have free slots. */
  #pump(): void {
    while (this.#takeovers.length > 0) {
      const slot = this.#pickEngine();
      if (!slot) return;
      slot.inFlight++;
      slot.ref.send({ type: 'execute', executionId: this.#takeovers.shift()! });
    }
  }

  /** The run finished and its record is stored: settle its lease for good. */
  finished(executionId: string): void {
    this.deps.flow?.release(executionId);
    this.#active.delete(executionId);
    this.deps.leases?.release(executionId);
    this.#leases.get(executionId)?.done();
    this.#leases.delete(executionId);
  }

  /** The run was abandoned (shutdown): give it back for another process. */
  abandoned(executionId: string): void {
    this.deps.flow?.release(executionId, 'left');
    this.#active.delete(executionId);
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

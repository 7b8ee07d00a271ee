// @ts-check
/**
 * Every process the host holds, by key: running ones, and ended or lost ones until a client
 * releases them. A key is held at most once: spawning a held key returns the held process and
 * starts nothing, which is what lets a restarted server ask again without running a step twice.
 * The table also keeps the journal compact: when it holds mostly records of released processes
 * it is rewritten with what is still held.
 * @module
 */
import { HeldProcess } from './held-process.js';
import { wireError } from './protocol.js';
import { Spool } from './spool.js';

/**
 * @import { HeldProcessInfo, HostSpawnSpec, JournalRecord, JournalState } from './protocol-types.ts'
 * @import { ProcessContext } from './held-process.js'
 */

/** A rewrite happens once this many records were appended and most are dead. */
const COMPACT_AFTER_RECORDS = 1000;

/** The held processes. */
export class ProcessTable {
  /** @type {Map<string, HeldProcess>} */
  #procs = new Map();
  /** @type {ProcessContext} */
  #ctx;
  #seq = 0;
  #live = 0;
  #accepting = true;
  #onChange;

  /**
   * @param {Omit<ProcessContext, 'ended' | 'nextSeq' | 'forget'>} ctx
   * @param {() => void} onChange called when the number of live processes changed
   */
  constructor(ctx, onChange) {
    this.#onChange = onChange;
    this.#ctx = {
      ...ctx,
      nextSeq: () => ++this.#seq,
      ended: () => this.#ended(),
      forget: (proc) => this.#forget(proc),
    };
  }

  /**
   * Takes over what previous hosts recorded (reaped already: nothing is `running`), then
   * rewrites the journal with only that.
   * @param {JournalState} state
   * @param {string[]} spoolNames the listing of the spool directory
   */
  adopt(state, spoolNames) {
    for (const entry of state.entries.values()) {
      const spool = Spool.recover(
        this.#ctx.spoolDir,
        entry.key,
        this.#ctx.defaults.spoolBytes,
        spoolNames,
      );
      this.#procs.set(entry.key, HeldProcess.adopt(entry, this.#ctx, spool));
    }
    this.compact();
  }

  /**
   * Starts `spec` unless its key is held.
   * @param {HostSpawnSpec} spec
   * @param {boolean} [releaseOnExit] forget it once it ended and its exit was delivered
   * @returns {Promise<{ created: boolean; proc: HeldProcess }>}
   */
  async spawn(spec, releaseOnExit = false) {
    const held = this.#procs.get(spec.key);
    if (held !== undefined) return { created: false, proc: held };
    if (!this.#accepting) throw wireError('unavailable', 'the process host is shutting down');
    const proc = new HeldProcess(spec, this.#ctx, undefined, releaseOnExit);
    this.#procs.set(spec.key, proc);
    this.#live++;
    await proc.start();
    return { created: true, proc };
  }

  /** The process held under `key`; a not_found wire error when there is none. */
  get(/** @type {string} */ key) {
    const proc = this.#procs.get(key);
    if (proc === undefined) throw wireError('not_found', `process '${key}' not found`, { key });
    return proc;
  }

  /** @returns {HeldProcessInfo[]} */
  list() {
    return [...this.#procs.values()].map((p) => p.info());
  }

  /** Forgets an ended process (spool, journal); a conflict while it runs. */
  release(/** @type {string} */ key) {
    const proc = this.get(key);
    if (proc.state === 'running') {
      throw wireError('conflict', `process '${key}' is still running`, { key });
    }
    this.#forget(proc);
  }

  /** Processes still running. */
  get liveCount() {
    return this.#live;
  }

  /** Refuses new spawns from now on (held keys still answer). */
  stopAccepting() {
    this.#accepting = false;
  }

  /** Cancels every running process. */
  cancelAll() {
    for (const p of this.#procs.values()) p.cancel();
  }

  /** Stops every running process and records it `lost` (the leash was not renewed). */
  abandonAll() {
    for (const p of this.#procs.values()) p.abandon();
  }

  /** Rewrites the journal with what is held now. */
  compact() {
    /** @type {JournalRecord[]} */
    const records = [
      { t: 'host', instance: this.#ctx.instance, boot: this.#ctx.boot, seq: this.#seq },
    ];
    for (const p of this.#procs.values()) records.push(...p.records());
    this.#ctx.journal.rewrite(records);
  }

  /** @param {HeldProcess} proc */
  #forget(proc) {
    if (this.#procs.get(proc.key) !== proc) return;
    this.#procs.delete(proc.key);
    proc.release();
    this.#ctx.journal.append({ t: 'release', key: proc.key });
    this.#maybeCompact();
  }

  #ended() {
    this.#live--;
    this.#maybeCompact();
    this.#onChange();
  }

  #maybeCompact() {
    const appended = this.#ctx.journal.appended;
    if (appended > COMPACT_AFTER_RECORDS && appended > 4 * this.#procs.size) this.compact();
  }
}

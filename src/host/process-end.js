// @ts-check
/**
 * How a held process ends, as src/exec/process-run.ts does it for the in-process runner.
 *
 * While the leader runs, a deadline or a cancel sends SIGTERM to the whole group and arms a
 * SIGKILL for the group after the grace period. Once the leader has exited after such a stop,
 * the end waits until no live (non-zombie) member is left in the group, so a stopped process
 * leaves no orphans when its exit is recorded. When the leader exits on its own the group is
 * left alone (a step may start a daemon on purpose), unless `endGroupOnExit` (a session is its
 * whole group: its leftovers get the same TERM, grace, KILL). Then stdout/stderr are read for at
 * most `exitDrainMs` more, so a background child holding them cannot hold the exit open.
 * @module
 */
import { clearTimeout, setTimeout } from 'node:timers';
import { isGroupAlive, signalGroup } from './proc.js';
import { MAX_TIMER_MS } from './protocol.js';

/** @import { GroupWatcher } from './group-watcher.js' */

/** After SIGKILL, how long to wait for the group to vanish before recording the exit anyway. */
export const KILL_CONFIRM_MS = 1000;

/** @typedef {'timeout' | 'cancel'} StopReason */
/** @typedef {{ code: number | null; signal: NodeJS.Signals | null }} LeaderExit */

/**
 * @typedef {object} ProcessEndOptions
 * @property {number} pid the leader, also the group id
 * @property {GroupWatcher} groups
 * @property {number} graceMs between SIGTERM and SIGKILL
 * @property {number} exitDrainMs
 * @property {boolean} endGroupOnExit
 * @property {() => void} destroyPipes stops reading stdout/stderr
 * @property {(leader: LeaderExit, reason: StopReason | null) => void} finished called once
 */

/** The end of one process: stop triggers, group wait, output drain. */
export class ProcessEnd {
  #o;
  /** @type {StopReason | null} */
  #reason = null;
  /** @type {LeaderExit | null} */
  #leader = null;
  #groupSettled = false;
  #open = 0;
  #killSent = false;
  #done = false;
  /** @type {NodeJS.Timeout | undefined} */ #deadlineTimer;
  /** @type {NodeJS.Timeout | undefined} */ #killTimer;
  /** @type {NodeJS.Timeout | undefined} */ #giveUpTimer;
  /** @type {NodeJS.Timeout | undefined} */ #drainTimer;
  /** @type {(() => void) | undefined} */ #unwatch;

  /** @param {ProcessEndOptions} options */
  constructor(options) {
    this.#o = options;
  }

  /** Stops the process with reason `timeout` at `deadlineAt` (epoch ms). */
  arm(/** @type {number} */ deadlineAt) {
    const left = deadlineAt - Date.now();
    this.#deadlineTimer = setTimeout(
      () => (left > MAX_TIMER_MS ? this.arm(deadlineAt) : this.stop('timeout')),
      Math.max(0, Math.min(left, MAX_TIMER_MS)),
    );
  }

  /** TERM to the group, KILL after the grace; ignored once stopping or once the leader exited. */
  stop(/** @type {StopReason} */ why) {
    if (this.#reason !== null || this.#leader !== null) return;
    this.#reason = why;
    clearTimeout(this.#deadlineTimer);
    this.#terminate();
  }

  /** A pipe is being read. */
  streamOpened() {
    this.#open++;
  }

  /** A pipe closed. */
  streamClosed() {
    this.#open--;
    if (this.#leader !== null && this.#groupSettled) this.#finish();
  }

  /**
   * The leader exited.
   * @param {number | null} code
   * @param {NodeJS.Signals | null} signal
   */
  leaderExited(code, signal) {
    this.#leader = { code, signal };
    clearTimeout(this.#deadlineTimer);
    if (this.#reason !== null) return this.#awaitGroup();
    if (this.#o.endGroupOnExit && isGroupAlive(this.#o.pid)) {
      this.#terminate();
      return this.#awaitGroup();
    }
    this.#groupSettled = true;
    this.#drain();
  }

  #terminate() {
    signalGroup(this.#o.pid, 'SIGTERM');
    this.#killTimer = setTimeout(() => this.#forceKill(), this.#o.graceMs);
  }

  #forceKill() {
    this.#killSent = true;
    signalGroup(this.#o.pid, 'SIGKILL');
    if (this.#leader !== null) this.#giveUp();
  }

  #giveUp() {
    this.#giveUpTimer = setTimeout(() => this.#settleGroup(), KILL_CONFIRM_MS);
  }

  /** The leader is gone after a stop: wait for the rest of the group (KILL still armed). */
  #awaitGroup() {
    if (!isGroupAlive(this.#o.pid)) return this.#settleGroup();
    this.#unwatch = this.#o.groups.watch(this.#o.pid, () => this.#settleGroup());
    if (this.#killSent) this.#giveUp();
  }

  #settleGroup() {
    if (this.#groupSettled) return;
    this.#unwatch?.();
    clearTimeout(this.#killTimer);
    clearTimeout(this.#giveUpTimer);
    this.#groupSettled = true;
    this.#drain();
  }

  #drain() {
    if (this.#open === 0) return this.#finish();
    this.#drainTimer = setTimeout(this.#o.destroyPipes, this.#o.exitDrainMs);
  }

  #finish() {
    if (this.#done || this.#leader === null || !this.#groupSettled || this.#open > 0) return;
    this.#done = true;
    clearTimeout(this.#drainTimer);
    this.#o.finished(this.#leader, this.#reason);
  }
}

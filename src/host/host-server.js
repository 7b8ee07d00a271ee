// @ts-check
/**
 * The host's socket server and its lifetime. The host stays up while it holds a running process
 * or has a client; after `idleMs` with neither it exits by itself, removing its socket. A
 * `shutdown` stops new spawns and exits once no process runs (after cancelling them all when
 * asked to kill). Ended processes nobody released stay in the journal for the next host.
 * @module
 */
import { clearTimeout, setTimeout } from 'node:timers';
import { chmodSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { ClientConnection } from './client-connection.js';

/**
 * @import { Server } from 'node:net'
 * @import { ProcessTable } from './process-table.js'
 */

/** How long the last messages get to reach clients when the host exits. */
const FLUSH_ON_EXIT_MS = 1000;

/**
 * @typedef {object} HostServerOptions
 * @property {string} socketPath
 * @property {ProcessTable} table
 * @property {string} instance
 * @property {number} idleMs
 * @property {(msg: string) => void} log
 * @property {() => void} exit called once the host has stopped serving (removes its files)
 */

/** The listening host. */
export class HostServer {
  #o;
  /** @type {Set<ClientConnection>} */
  #conns = new Set();
  /** @type {Server} */
  #server;
  /** @type {NodeJS.Timeout | undefined} */
  #idleTimer;
  /** @type {NodeJS.Timeout | undefined} */
  #leashTimer;
  #stopping = false;
  #exiting = false;
  #exited = false;

  /** @param {HostServerOptions} options */
  constructor(options) {
    this.#o = options;
    const host = {
      table: options.table,
      instance: options.instance,
      log: options.log,
      shutdown: (/** @type {boolean} */ kill) => this.shutdown(kill),
      leash: (/** @type {number} */ ms) => this.leash(ms),
    };
    this.#server = createServer((socket) => {
      if (this.#exiting) return void socket.destroy();
      const conn = new ClientConnection(socket, host, (c) => {
        this.#conns.delete(c);
        if (!this.#exiting) this.checkIdle();
        else if (this.#conns.size === 0) this.#exit();
      });
      this.#conns.add(conn);
      this.checkIdle();
    });
  }

  /** Listens on the socket (the caller holds the lock, so a file left there is stale). */
  listen() {
    rmSync(this.#o.socketPath, { force: true });
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#o.socketPath, () => {
        this.#server.removeListener('error', reject);
        chmodSync(this.#o.socketPath, 0o600);
        this.checkIdle();
        resolve(undefined);
      });
    });
  }

  /** Stops taking spawns; exits once nothing runs (cancelling everything when `kill`). */
  shutdown(/** @type {boolean} */ kill) {
    this.#o.log(`shutdown requested (killProcesses: ${kill})`);
    this.#stopping = true;
    this.#o.table.stopAccepting();
    if (kill) this.#o.table.cancelAll();
    this.checkIdle();
  }

  /**
   * The leash of a cluster node's server: unless it is renewed within `ms`, every running
   * process is stopped and recorded `lost` (0 disarms it). A server that died or froze stops
   * renewing it, and its runs' leases pass to another node once it has been silent for the
   * lease TTL; the server renews every ms/4 with ms well under that TTL, so what it ran has
   * stopped before another node may run it again (never two copies of one step at once).
   */
  leash(/** @type {number} */ ms) {
    clearTimeout(this.#leashTimer);
    this.#leashTimer = undefined;
    if (ms === 0 || this.#exiting) return;
    this.#leashTimer = setTimeout(() => {
      this.#leashTimer = undefined;
      const live = this.#o.table.liveCount;
      this.#o.log(`leash not renewed for ${ms} ms: stopping ${live} process(es) as lost`);
      this.#o.table.abandonAll();
    }, ms);
  }

  /** Re-evaluates the lifetime after a client or a process came or went. */
  checkIdle() {
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    if (this.#exiting || this.#o.table.liveCount > 0) return;
    if (this.#stopping) return this.#close();
    if (this.#conns.size > 0) return;
    this.#idleTimer = setTimeout(() => {
      this.#o.log(`idle for ${this.#o.idleMs} ms: exiting`);
      this.#close();
    }, this.#o.idleMs);
  }

  #close() {
    if (this.#exiting) return;
    this.#exiting = true;
    clearTimeout(this.#leashTimer);
    this.#server.close();
    rmSync(this.#o.socketPath, { force: true });
    if (this.#conns.size === 0) return this.#exit();
    for (const c of this.#conns) c.end(); // the last replies and events still go out
    setTimeout(() => this.#exit(), FLUSH_ON_EXIT_MS);
  }

  #exit() {
    if (this.#exited) return;
    this.#exited = true;
    this.#o.exit();
  }
}

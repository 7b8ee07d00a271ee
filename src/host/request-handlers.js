// @ts-check
/**
 * What the host does for each request of a client. A handler returns the reply's result and,
 * when the request starts a stream of events (attach), what to do once the reply is written, so
 * a client always reads the reply before the first event it announces.
 * @module
 */

/**
 * @import { HostRequest } from './protocol-types.ts'
 * @import { HeldProcess } from './held-process.js'
 * @import { Attachment } from './attachment.js'
 * @import { ProcessTable } from './process-table.js'
 */

/**
 * The connection as a handler sees it.
 * @typedef {object} RequestConnection
 * @property {(proc: HeldProcess, fromOffset: number, partials: boolean) => Attachment} attach
 * @property {(key: string) => void} detach
 */

/**
 * The host as a handler sees it.
 * @typedef {object} RequestHost
 * @property {ProcessTable} table
 * @property {(killProcesses: boolean) => void} shutdown
 * @property {(ms: number) => void} leash
 */

/** @typedef {{ result: unknown; after?: () => void }} Handled */

/**
 * Runs one request; throws a wire error (`{code, message, recoverable}`) to refuse it.
 * @param {HostRequest} req
 * @param {RequestConnection} conn
 * @param {RequestHost} host
 * @returns {Promise<Handled>}
 */
export async function handleRequest(req, conn, host) {
  const { table } = host;
  switch (req.op) {
    case 'spawn': {
      const { created, proc } = await table.spawn(req.spec, req.releaseOnExit ?? false);
      if (req.attach === undefined) return { result: { created, process: proc.info() } };
      const a = conn.attach(proc, req.attach.fromOffset, req.attach.partials ?? false);
      const attach = { process: proc.info(), partials: proc.partials() };
      return { result: { created, process: attach.process, attach }, after: () => a.start() };
    }
    case 'attach': {
      const proc = table.get(req.key);
      const a = conn.attach(proc, req.fromOffset, req.partials ?? false);
      return {
        result: { process: proc.info(), partials: proc.partials() },
        after: () => a.start(),
      };
    }
    case 'detach':
      conn.detach(req.key);
      return { result: {} };
    case 'list':
      return { result: { processes: table.list() } };
    case 'release':
      table.release(req.key);
      return { result: {} };
    case 'signal':
      table.get(req.key).signal(req.signal);
      return { result: {} };
    case 'cancel':
      table.get(req.key).cancel();
      return { result: {} };
    case 'write':
      await table.get(req.key).write(req.data);
      return { result: {} };
    case 'closeStdin':
      table.get(req.key).closeStdin();
      return { result: {} };
    case 'shutdown':
      table.stopAccepting(); // now, so a spawn pipelined behind this request is refused
      return {
        result: { live: table.liveCount },
        after: () => host.shutdown(req.killProcesses),
      };
    case 'leash':
      host.leash(req.ms);
      return { result: {} };
  }
}

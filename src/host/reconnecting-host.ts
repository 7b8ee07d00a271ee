/**
 * A HostClient that survives the death of its process host while the server runs. When the
 * connection closes and the client was not closed on purpose, it connects again (which reaps
 * what the dead host left: its processes are killed by their recorded groups and marked lost)
 * and goes on through the new host. A keyed `run` whose connection died mid-way re-attaches
 * under the same key from the line after the last one it delivered, so it ends with the real
 * outcome: the exit if the process had ended, `lost` if the dead host's reaper killed it (the
 * step machine then runs it again, not counting it against its retries).
 * @module
 */
import type { Logger } from 'pino';
import { UnavailableError } from '../errors.ts';
import type { ProcessResult, ProcessSpec } from '../exec/index.ts';
import type { HostClient } from './host-client.ts';

/** How long to wait between two failed attempts to reach a host again. */
const RECONNECT_DELAY_MS = 250;

/** Wraps `first`; `connect` opens a new client (starting a host) after a death. */
export function reconnectingHost(
  first: HostClient,
  connect: () => Promise<HostClient>,
  logger: Logger,
): HostClient {
  let current = first;
  let stopped = false;
  let next: Promise<HostClient> | undefined;

  const reconnect = (): Promise<HostClient> => {
    next ??= (async () => {
      for (;;) {
        if (stopped) throw new UnavailableError('the process host client is closed');
        try {
          const client = await connect();
          current = client;
          watch(client);
          logger.warn(
            { hostPid: client.hostPid, lost: client.reaped?.lost.length ?? 0 },
            'reconnected to a new process host',
          );
          return client;
        } catch (err) {
          logger.error({ err }, 'process host unreachable; trying again');
          await new Promise((r) => setTimeout(r, RECONNECT_DELAY_MS));
        }
      }
    })().finally(() => {
      next = undefined;
    });
    return next;
  };
  const watch = (client: HostClient) => {
    void client.closed.then((reason) => {
      if (stopped || client !== current) return;
      logger.error({ reason: reason.message }, 'the process host went away');
      void reconnect().catch(() => undefined);
    });
  };
  watch(first);

  /** The client to use now: the current one, or the next once it is reached. */
  const live = async (): Promise<HostClient> => (next ? next : current);

  const run = async (spec: ProcessSpec): Promise<ProcessResult> => {
    let delivered = (spec.fromOffset ?? 0) - 1;
    const onLine = spec.onLine;
    const tracked: ProcessSpec = {
      ...spec,
      ...(onLine && {
        onLine: (stream, line, offset) => {
          if (offset !== undefined && offset > delivered) delivered = offset;
          onLine(stream, line, offset);
        },
      }),
    };
    for (;;) {
      const client = await live();
      try {
        return await client.run({ ...tracked, fromOffset: delivered + 1 });
      } catch (err) {
        // Only a keyed run can be found again; a closed client ends it.
        if (stopped || spec.key === undefined || !(err instanceof UnavailableError)) throw err;
        if (client === current && !next) await reconnect();
      }
    }
  };

  return {
    get hostPid() {
      return current.hostPid;
    },
    get instance() {
      return current.instance;
    },
    get paths() {
      return current.paths;
    },
    get reaped() {
      return current.reaped;
    },
    get closed() {
      return current.closed;
    },
    run,
    killAll: async () => (await live()).killAll(),
    spawn: async (spec, attach, options) => (await live()).spawn(spec, attach, options),
    attach: async (key, attach) => (await live()).attach(key, attach),
    detach: async (key) => (await live()).detach(key),
    list: async () => (await live()).list(),
    release: async (key) => (await live()).release(key),
    signal: async (key, signal) => (await live()).signal(key, signal),
    cancel: async (key) => (await live()).cancel(key),
    write: async (key, data) => (await live()).write(key, data),
    closeStdin: async (key) => (await live()).closeStdin(key),
    leash: async (ms) => (await live()).leash(ms),
    shutdown: async (options) => {
      stopped = true;
      await current.shutdown(options);
    },
    close: () => {
      stopped = true;
      current.close();
    },
  };
}

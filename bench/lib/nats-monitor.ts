/**
 * The server side of a benchmark: a private `nats-server` with its monitoring port open, and
 * the few counters read from it (`/varz` CPU and memory, `/jsz` JetStream API calls and
 * consumers), so a result can say what the server did per execution, not only how long it took.
 * @module
 */
import { createServer } from 'node:net';
import { startNatsServer, type NatsServer } from '../../test/helpers/nats-server.ts';

/** A private server and its monitoring endpoint. */
export interface MonitoredNats {
  server: NatsServer;
  /** `http://127.0.0.1:<port>`. */
  monitorUrl: string;
}

/** What the server counted at one moment. */
export interface ServerCounters {
  /** Server process CPU, percent of one core (the server's own sampling). */
  cpu: number;
  /** Resident memory, bytes. */
  mem: number;
  /** JetStream API requests served since the start (consumer creations, infos, purges...). */
  apiTotal: number;
  /** Consumers that exist now. */
  consumers: number;
  /** Messages held by every stream. */
  messages: number;
}

/** A free TCP port on loopback (bound and released, so a race is possible but rare). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Starts a private nats-server with JetStream and a monitoring port. */
export async function startMonitoredNats(): Promise<MonitoredNats> {
  const port = await freePort();
  const server = await startNatsServer({
    private: true,
    extraConfig: `http: "127.0.0.1:${port}"`,
  });
  return { server, monitorUrl: `http://127.0.0.1:${port}` };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Reads the counters (zeros for what the server version does not report). */
export async function readCounters(monitorUrl: string): Promise<ServerCounters> {
  const [varz, jsz] = await Promise.all([
    getJson<{ cpu?: number; mem?: number }>(`${monitorUrl}/varz`),
    getJson<{ api?: { total?: number }; consumers?: number; messages?: number }>(
      `${monitorUrl}/jsz`,
    ),
  ]);
  return {
    cpu: varz.cpu ?? 0,
    mem: varz.mem ?? 0,
    apiTotal: jsz.api?.total ?? 0,
    consumers: jsz.consumers ?? 0,
    messages: jsz.messages ?? 0,
  };
}

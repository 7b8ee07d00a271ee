/**
 * `stator serve`: the service with its HTTP API and the workflows of a directory. Embedded by
 * default (SQLite, in-process bus and queue); with STATOR_NATS_URL (or --nats) it joins a NATS
 * cluster: NATS bus, JetStream store and work queue shared with every other process.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import {
  CONFIG_FLAG_OPTIONS,
  configHelpLines,
  resolveConfig,
  statorOptionsFromConfig,
  type Config,
} from '../config.ts';
import { createLogger } from '../logger.ts';
import { SecretRegistry } from '../secrets/index.ts';
import { createHttpApp, startHttpServer } from '../http/index.ts';
import { createStator } from '../runtime/index.ts';
// eslint-disable-next-line no-restricted-imports -- runtime/index.ts does not export these yet
import { connectCluster, type ClusterSeams } from '../runtime/cluster.ts';
import { createJetStreamEventStream } from '../monitor/index.ts';
import { loadWorkflowDir, type LoadedWorkflowFile } from '../workflow/index.ts';
import { toWire } from '../errors.ts';
import type { Stator, StatorOptions } from '../runtime/index.ts';

/** The options `stator serve` parses: every config flag, and `--help`. */
export const SERVE_OPTIONS = {
  ...CONFIG_FLAG_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const;

/** `stator serve --help`, made from the config table that defines the flags. */
export function serveHelp(): string {
  return [
    'Usage: stator serve [options]',
    '',
    'Serves the HTTP API and the workflows of a directory; defaults in brackets.',
    '',
    ...configHelpLines(),
    '',
    '  -h, --help',
    '      print this help',
    '',
    'SIGINT or SIGTERM shut down gracefully within --shutdown-timeout: intake stops (503',
    'shutting_down), what is in flight is stored, and running steps and sessions are left to the',
    'process host, which the next start re-attaches to. A second signal (or --stop-processes)',
    'stops them instead, marking the steps interrupted; a third exits at once. In cluster mode',
    '(--nats) runs that do not finish within the drain are stopped and their leases handed over:',
    'another node resumes them at once (a node that dies is taken over after --lease-ttl).',
  ].join('\n');
}

/** How the CLI prints. */
export interface ServeIo {
  out: (line: string) => void;
  printError: (prefix: string, e: unknown) => void;
}

/** Registers every workflow file of `dir`, logging (and skipping) the invalid ones by name. */
export async function loadWorkflows(stator: Stator, dir: string, logger: Logger): Promise<void> {
  let results: LoadedWorkflowFile[];
  try {
    results = await loadWorkflowDir(dir);
  } catch (e) {
    logger.warn(
      { dir, reason: (e as Error).message },
      'workflows directory not readable; none loaded',
    );
    return;
  }
  let loaded = 0;
  for (const r of results) {
    try {
      if (!r.ok) throw r.error;
      const record = await stator.registerWorkflow(await readFile(r.file, 'utf8'));
      loaded++;
      logger.debug({ file: r.file, workflowId: record.id }, 'workflow loaded');
    } catch (e) {
      logger.warn({ file: r.file, error: toWire(e) }, `skipping invalid workflow ${r.file}`);
    }
  }
  logger.info({ dir, loaded, skipped: results.length - loaded }, 'workflows loaded');
}

async function clusterSeams(config: Config, options: StatorOptions, logger: Logger) {
  if (config.natsUrl === undefined) return undefined;
  const seams = await connectCluster({
    url: config.natsUrl,
    name: `stator-${options.node ?? process.pid}`,
    prefix: config.natsPrefix,
    replicas: config.natsReplicas,
    user: config.natsUser,
    password: config.natsPassword,
    token: config.natsToken,
    credsFile: config.natsCreds,
    nkeySeed: config.natsNkeySeed,
    queueLimit: options.queueLimit,
    leaseTtlMs: config.leaseTtl,
    logger,
  });
  logger.info({ nats: config.natsUrl.replace(/\/\/[^@/]*@/, '//***@') }, 'cluster mode');
  return seams;
}

/** Runs `stator serve`; resolves with the exit code after a graceful shutdown. */
export async function serve(args: string[], io: ServeIo): Promise<number> {
  const { values } = parseArgs({ args, options: SERVE_OPTIONS });
  if (values.help) return (io.out(serveHelp()), 0);
  let config: Config;
  try {
    config = resolveConfig({ flags: values, env: process.env });
  } catch (e) {
    return (io.printError('invalid configuration', e), 2);
  }
  // Workflow secrets resolved by runs, and Stator's own credentials, never reach the log.
  const secretRegistry = new SecretRegistry();
  secretRegistry.add(
    [config.apiToken, config.natsPassword, config.natsToken, config.natsNkeySeed].filter(
      (v): v is string => v !== undefined,
    ),
  );
  const logger = createLogger({ level: config.logLevel, redactor: secretRegistry });
  // A promise nobody awaited that rejects is a bug, but not one that may take every run of the
  // node down with it: a NATS client's request timing out during a failover once did (a node
  // of the three-node failover test exited with an unhandled TimeoutError). Logged with its
  // stack; the node goes on (its runs, leases and outbox handle the outage itself).
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection (a bug: please report it)');
  });
  const options = statorOptionsFromConfig(config, logger);
  options.secretRegistry = secretRegistry;
  let cluster: ClusterSeams | undefined;
  try {
    cluster = await clusterSeams(config, options, logger);
  } catch (e) {
    return (io.printError('cannot join the NATS cluster', e), 1);
  }
  if (cluster)
    Object.assign(options, {
      bus: cluster.bus,
      store: cluster.store,
      workQueue: cluster.workQueue,
      topology: cluster.topology,
      leases: cluster.leases,
      flowKv: cluster.flowKv,
      healthChecks: cluster.healthChecks,
      // `nats: {subject, stream}` triggers: durable consumers named after the deployment prefix.
      triggerStreams: { connection: cluster.bus.connection, prefix: config.natsPrefix },
      // The monitor (SSE, WS, subscribers) reads the cluster's event stream: every node's events.
      monitor: {
        ...options.monitor,
        stream: createJetStreamEventStream({
          connection: cluster.bus.connection,
          prefix: config.natsPrefix,
          logger,
        }),
      },
    });
  const stator = await createStator(options);
  await loadWorkflows(stator, config.workflowsDir, logger);
  const app = createHttpApp({ stator, apiToken: config.apiToken, logger });
  const server = await startHttpServer({ app, host: config.host, port: config.port });
  logger.info(
    { url: server.url, auth: config.apiToken !== undefined },
    `listening on ${server.url}`,
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  logger.info({ signal, timeoutMs: config.shutdownTimeout }, 'shutting down');
  const forced = forceExitAfter(config.shutdownTimeout, logger);
  const closing: Closing = stator;
  let stopProcesses = config.stopProcesses;
  // A second signal stops the processes instead of leaving them to the host; a third exits now.
  const again = (next: NodeJS.Signals): void => {
    if (stopProcesses) return exitNow(logger, `${next} again: exiting now`);
    stopProcesses = true;
    logger.warn({ signal: next }, 'second signal: stopping the processes of running steps');
    closing.close({ stopProcesses: true }).catch(() => undefined);
  };
  process.on('SIGINT', again);
  process.on('SIGTERM', again);
  // The HTTP server stays up while the service closes: commands that start work answer 503
  // `shutting_down` with Retry-After instead of a refused connection.
  await closing.close({ stopProcesses });
  await server.close();
  await cluster?.close();
  clearTimeout(forced);
  logger.info('stopped');
  logger.flush();
  return 0;
}

/** `close` as the service takes it: `stopProcesses` stops running steps instead of leaving them. */
interface Closing {
  close(options?: { stopProcesses?: boolean }): Promise<void>;
}

/** Exits with 1 once `ms` have passed, whatever still hangs (an unref'd timer). */
function forceExitAfter(ms: number, logger: Logger): NodeJS.Timeout {
  const timer = setTimeout(
    () => exitNow(logger, `shutdown took longer than ${ms} ms: exiting now`),
    ms,
  );
  timer.unref();
  return timer;
}

function exitNow(logger: Logger, message: string): never {
  logger.error(message);
  logger.flush();
  process.exit(1);
}

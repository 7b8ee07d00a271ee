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
import { createHttpApp, startHttpServer } from '../http/index.ts';
import { createStator } from '../runtime/index.ts';
// eslint-disable-next-line no-restricted-imports -- runtime/index.ts does not export these yet
import { connectCluster, type ClusterSeams } from '../runtime/cluster.ts';
import { createJetStreamHistory } from '../monitor/index.ts';
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
    'SIGINT or SIGTERM shut down gracefully.',
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
    user: config.natsUser,
    password: config.natsPassword,
    token: config.natsToken,
    credsFile: config.natsCreds,
    nkeySeed: config.natsNkeySeed,
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
  const logger = createLogger({ level: config.logLevel });
  const options = statorOptionsFromConfig(config, logger);
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
      // SSE/WS resumes older than the monitor's recent events read the JetStream event stream.
      monitor: {
        history: createJetStreamHistory({
          connection: cluster.bus.connection,
          prefix: config.natsPrefix,
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
  logger.info({ signal }, 'shutting down');
  const force = (): never => process.exit(1);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  await server.close();
  await stator.close();
  await cluster?.close();
  logger.info('stopped');
  logger.flush();
  return 0;
}

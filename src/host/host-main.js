// @ts-check
/**
 * Entry of the process host: `node src/host/host-main.js '<config json>'`, started detached by
 * `startHost()` (src/host/start-host.ts) in its own session and process group, stdio to
 * `<dataDir>/host/host.log`, with an empty environment (every process gets the complete
 * environment its spawn request names, nothing of the host's). Plain JavaScript on bare `node`:
 * no loader, a small heap, so each fork is cheap.
 *
 * Start: take the lock (or exit with EXIT_LOCKED: another host serves this data directory),
 * reap what dead hosts left, adopt the ended and lost processes they recorded, compact the
 * journal, listen, then record pid and socket in `host.json`.
 * @module
 */
import process from 'node:process';
import { randomBytes } from 'node:crypto';
import { readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { createGroupWatcher } from './group-watcher.js';
import { HostServer } from './host-server.js';
import { resolveHostPaths } from './host-paths.js';
import { Journal, readJournal } from './journal.js';
import { acquireHostLock } from './lock.js';
import { bootId } from './proc.js';
import { ProcessTable } from './process-table.js';
import { EXIT_LOCKED, MAX_LINE_LENGTH, MAX_TIMER_MS, PROTOCOL_VERSION } from './protocol.js';
import { reapLeftovers } from './reap.js';

const configSchema = z
  .object({
    dataDir: z.string().min(1),
    socketPath: z.string().min(1),
    idleMs: z.number().int().min(0).max(MAX_TIMER_MS),
    killGraceMs: z.number().int().min(0).max(MAX_TIMER_MS),
    maxLineLength: z.number().int().min(16).max(MAX_LINE_LENGTH),
    spoolBytes: z
      .number()
      .int()
      .min(4096)
      .max(2 ** 30),
    exitDrainMs: z.number().int().min(0).max(60_000),
    shell: z.string().min(1),
  })
  .strict();

const log = (/** @type {string} */ msg) =>
  process.stderr.write(`${new Date().toISOString()} host[${process.pid}] ${msg}\n`);

async function main() {
  const config = configSchema.parse(JSON.parse(process.argv[2] ?? '{}'));
  process.title = 'stator-host';
  process.umask(0o077);
  process.chdir('/'); // hold no directory of whoever started us
  const paths = resolveHostPaths(config.dataDir);
  const lock = await acquireHostLock(paths);
  if (lock === null) {
    log('another host holds this data directory; exiting');
    process.exit(EXIT_LOCKED);
  }
  const reaped = await reapLeftovers(paths);
  if (reaped.killed.length > 0) log(`killed leftovers of a dead host: ${reaped.killed.join(' ')}`);

  const instance = randomBytes(8).toString('hex');
  const journal = new Journal(paths.journalFile);
  /** @type {HostServer | undefined} */
  let server;
  const table = new ProcessTable(
    {
      journal,
      groups: createGroupWatcher(),
      spoolDir: paths.spoolDir,
      tag: paths.tag,
      instance,
      boot: bootId(),
      defaults: config,
    },
    () => server?.checkIdle(),
  );
  table.adopt(readJournal(paths.journalFile), readdirSync(paths.spoolDir));

  const exit = () => {
    rmSync(paths.infoFile, { force: true });
    journal.close();
    void lock.release(); // the file lock is removed at once; the socket lock with the process
    log('exited');
    process.exit(0);
  };
  server = new HostServer({
    socketPath: config.socketPath,
    table,
    instance,
    idleMs: config.idleMs,
    log,
    exit,
  });
  await server.listen();
  const info = {
    pid: process.pid,
    instance,
    socketPath: config.socketPath,
    protocolVersion: PROTOCOL_VERSION,
    startedAt: new Date().toISOString(),
  };
  writeFileSync(`${paths.infoFile}.tmp`, `${JSON.stringify(info)}\n`);
  renameSync(`${paths.infoFile}.tmp`, paths.infoFile);
  const stop = () => server?.shutdown(true);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => undefined); // no terminal to lose
  log(`listening on ${config.socketPath} (instance ${instance}, idle ${config.idleMs} ms)`);
}

process.on('uncaughtException', (err) => {
  // State is unknown after a bug: exit; the processes keep running, the next start reaps them.
  log(`fatal: ${err.stack ?? err}`);
  process.exit(1);
});

main().catch((err) => {
  log(`could not start: ${err?.stack ?? err}`);
  process.exit(1);
});

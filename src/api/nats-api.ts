/**
 * The command API on the bus: `<prefix>.api.<command>` request-reply for every command of the
 * command layer, decoded by the same schemas and run by the same handlers as the HTTP routes.
 * Replies are `{ok: true, data}` or `{ok: false, error: {code, message, details, recoverable}}`;
 * a malformed payload gets the structured error and changes nothing. Payloads are held to the
 * input bounds (src/parse) and to DEFAULT_MAX_PAYLOAD_BYTES before any command sees them. Every
 * process joins the deployment's queue group (`<prefix>-api`), so each request is answered once
 * across a cluster and never by another deployment on the same server.
 * @module
 */
import type { Logger } from 'pino';
import type { Bus, BusMessage, BusSubscription } from '../bus/index.ts';
import {
  COMMAND_NAMES,
  dispatchReply,
  isCommandName,
  type CommandReply,
} from '../commands/index.ts';
import { NotFoundError, PayloadTooLargeError, toWire } from '../errors.ts';
import { DEFAULT_MAX_PAYLOAD_BYTES, parseBoundedJson } from '../parse/index.ts';
// eslint-disable-next-line no-restricted-imports -- cycle: runtime/index.ts imports this module
import type { Stator } from '../runtime/types.ts';
import { MicroService, type EndpointStats } from './micro-service.ts';
import { natsClientId } from './nats-client-id.ts';

/** Options of the bus API. */
export interface BusApiOptions {
  bus: Bus;
  stator: Stator;
  logger: Logger;
  /** Identity for discovery (`nats micro ls`). */
  serviceId: string;
  version: string;
}

/** A running bus API. */
export interface BusApi {
  readonly service: MicroService;
  close(): void;
}

/** Subscribes every command on `<prefix>.api.<command>` and starts discovery. */
export function startBusApi(opts: BusApiOptions): BusApi {
  const names = opts.bus.subjects;
  const service = new MicroService(opts.bus, {
    name: names.micro.name,
    id: opts.serviceId,
    version: opts.version,
    description: 'Stator command API: workflows, executions and the service itself',
  });
  const subs: BusSubscription[] = COMMAND_NAMES.map((name) => {
    const subject = names.apiSubject(name);
    const stats = service.addEndpoint(name, subject, names.queues.api);
    return opts.bus.subscribe(subject, (msg) => void handle(opts, service, stats, name, msg), {
      queue: names.queues.api,
    });
  });
  // Unknown commands get a structured not_found instead of "no responders".
  subs.push(
    opts.bus.subscribe(
      names.apiWildcard(),
      (msg) => {
        const name = names.parseApiSubject(msg.subject) ?? '';
        if (isCommandName(name)) return;
        msg.respond({ ok: false, error: toWire(new NotFoundError('command', name)) });
      },
      { queue: names.queues.apiUnknown },
    ),
  );
  service.start();
  return {
    service,
    close() {
      for (const sub of subs) sub.unsubscribe();
      service.stop();
    },
  };
}

async function handle(
  opts: BusApiOptions,
  service: MicroService,
  stats: EndpointStats,
  name: string,
  msg: BusMessage,
): Promise<void> {
  const started = performance.now();
  let reply: CommandReply;
  try {
    // The same rate limiter as HTTP; the caller is named by its reply inbox (nats-client-id.ts).
    reply = await dispatchReply(opts.stator, name, decode(name, msg), {
      client: natsClientId(msg.reply),
    });
  } catch (err) {
    reply = { ok: false, error: toWire(err) };
  }
  service.record(stats, performance.now() - started, reply.ok ? undefined : reply.error.message);
  if (!reply.ok) opts.logger.debug({ command: name, error: reply.error }, 'api command refused');
  msg.respond(reply);
}

/** Commands that also take YAML text, which they parse within the same bounds. */
const TEXT_COMMANDS: ReadonlySet<string> = new Set(['workflow.register', 'session.create']);

/**
 * Payload of a request: JSON within the input bounds (`input_bounds`, `malformed_json`,
 * `payload_too_large`); for TEXT_COMMANDS anything that is not such JSON goes on as text.
 */
function decode(name: string, msg: BusMessage): unknown {
  if (msg.data.length === 0) return undefined;
  if (msg.data.length > DEFAULT_MAX_PAYLOAD_BYTES) {
    throw new PayloadTooLargeError(DEFAULT_MAX_PAYLOAD_BYTES, 'request payload');
  }
  const text = msg.string();
  try {
    return parseBoundedJson(text, undefined, 'payload is not valid JSON');
  } catch (err) {
    if (TEXT_COMMANDS.has(name)) return text;
    throw err;
  }
}

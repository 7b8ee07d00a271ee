/**
 * pino loggers: JSON lines (pretty through pino-pretty when writing to a terminal), secrets
 * redacted (by path, and by value: every line passes through the `redactor`, which masks the
 * workflow secrets resolved so far), and child loggers bound to an actor address.
 * @module
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import type { ActorAddress } from './bus/index.ts';
import type { TextRedactor } from './secrets/index.ts';

/** Paths whose values never reach a log line. */
export const LOG_REDACT_PATHS: readonly string[] = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'token',
  '*.token',
  'apiToken',
  '*.apiToken',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'env',
  '*.env',
];

/** Options of `createLogger()`. */
export interface LoggerOptions {
  /** Minimum level. @default "info" */
  level?: string;
  /** Human-readable output through pino-pretty. @default true when the destination is a TTY */
  pretty?: boolean;
  /** File descriptor (1 stdout, 2 stderr) or a stream. @default 1 */
  destination?: 1 | 2 | DestinationStream;
  /** Bound to every line as `name`. */
  name?: string;
  /**
   * Masks secret values in every serialised line (a `SecretRegistry` shared with the service,
   * `StatorOptions.secretRegistry`); none when absent.
   */
  redactor?: TextRedactor;
}

function isTty(destination: 1 | 2 | DestinationStream): boolean {
  if (destination === 1) return process.stdout.isTTY === true;
  if (destination === 2) return process.stderr.isTTY === true;
  return false;
}

/** Builds the root logger. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? 1;
  const base = {
    level: options.level ?? 'info',
    redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' },
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.redactor !== undefined && {
      hooks: { streamWrite: (line: string) => options.redactor!.redact(line) },
    }),
  };
  if (options.pretty ?? isTty(destination)) {
    const fd = typeof destination === 'number' ? destination : 1;
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { destination: fd, colorize: true } },
    });
  }
  const stream = typeof destination === 'number' ? pino.destination(destination) : destination;
  return pino(base, stream);
}

/** A logger that writes nothing. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** A child logger whose lines carry `actor: <kind>.<id>`. */
export function actorLogger(logger: Logger, address: ActorAddress): Logger {
  return logger.child({ actor: address });
}

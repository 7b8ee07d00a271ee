/**
 * Service configuration from command-line flags and STATOR_* environment variables, through
 * one zod schema. Flags win over the environment; errors name the flag or variable at fault.
 * @module
 */
import { z } from 'zod';
import type { Logger } from 'pino';
import { InvalidArgumentError, type FieldIssue } from './errors.ts';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_ENGINES,
  DEFAULT_SLOTS_PER_ENGINE,
  type StatorOptions,
} from './runtime/index.ts';
import { parseDuration } from './workflow/index.ts';

/** @default "127.0.0.1" */
export const DEFAULT_HOST = '127.0.0.1';
/** @default 8080 */
export const DEFAULT_PORT = 8080;
/** @default "examples" */
export const DEFAULT_WORKFLOWS_DIR = 'examples';
/** @default "info" */
export const DEFAULT_LOG_LEVEL = 'info';

/** pino levels accepted by `--log-level` / STATOR_LOG_LEVEL. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const NATS_URL = /^(nats|tls|ws|wss):\/\/[^\s,]+$/;

/** The one schema of the service configuration. */
export const configSchema = z.object({
  host: z.string().min(1).default(DEFAULT_HOST),
  port: z.coerce.number().int().min(0).max(65_535).default(DEFAULT_PORT),
  dataDir: z.string().min(1).default(DEFAULT_DATA_DIR),
  apiToken: z.string().min(16, 'must be at least 16 characters').optional(),
  workflowsDir: z.string().min(1).default(DEFAULT_WORKFLOWS_DIR),
  logLevel: z.enum(LOG_LEVELS).default(DEFAULT_LOG_LEVEL),
  engines: z.coerce.number().int().min(1).max(64).default(DEFAULT_ENGINES),
  slots: z.coerce.number().int().min(1).max(4096).default(DEFAULT_SLOTS_PER_ENGINE),
  nodeName: z
    .string()
    .regex(/^[\w.-]+$/, 'letters, digits, "_", "-" and "." only')
    .optional(),
  natsUrl: z
    .string()
    .refine(
      (s) => s.split(',').every((u) => NATS_URL.test(u.trim())),
      'must be nats://host:port (comma-separated for several servers)',
    )
    .optional(),
  natsUser: z.string().min(1).optional(),
  natsPassword: z.string().min(1).optional(),
  natsToken: z.string().min(1).optional(),
  natsCreds: z.string().min(1).optional(),
  natsNkeySeed: z.string().min(1).optional(),
  /** Prefix of JetStream buckets and streams, so several Stator services can share one NATS. */
  natsPrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" and "-" only')
    .default('stator'),
  /** How long a webhook's Idempotency-Key is remembered, ms (from e.g. `24h`, at most `7d`). */
  hookIdempotencyRetention: z
    .string()
    .transform((s, ctx) => {
      try {
        const ms = parseDuration(s);
        if (ms >= 1000 && ms <= 7 * 86_400_000) return ms;
        ctx.addIssue({ code: 'custom', message: 'must be between 1s and 7d' });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
      }
      return z.NEVER;
    })
    .optional(),
  /** Commands per second per client and per session (token bucket refill); 0 turns limits off. */
  rateLimit: z.coerce.number().finite().min(0).max(1_000_000).optional(),
  /** Commands a client or session may send in one burst (bucket size). */
  rateBurst: z.coerce.number().int().min(1).max(1_000_000).optional(),
});

/** The resolved configuration. */
export type Config = z.output<typeof configSchema>;
type ConfigKey = keyof Config;

/** Where each setting comes from: its flag (without `--`) and environment variables, in priority order. */
export const CONFIG_SOURCES: Record<ConfigKey, { flag?: string; env: string[] }> = {
  host: { flag: 'host', env: ['STATOR_HOST'] },
  port: { flag: 'port', env: ['STATOR_PORT', 'PORT'] },
  dataDir: { flag: 'data-dir', env: ['STATOR_DATA_DIR'] },
  // No flag on purpose: a token on the command line shows in `ps`.
  apiToken: { env: ['STATOR_API_TOKEN'] },
  workflowsDir: { flag: 'workflows', env: ['STATOR_WORKFLOWS_DIR'] },
  logLevel: { flag: 'log-level', env: ['STATOR_LOG_LEVEL'] },
  engines: { flag: 'engines', env: ['STATOR_ENGINES'] },
  slots: { flag: 'slots', env: ['STATOR_SLOTS'] },
  nodeName: { flag: 'node-name', env: ['STATOR_NODE_NAME'] },
  natsUrl: { flag: 'nats', env: ['STATOR_NATS_URL'] },
  // Secrets come from the environment only (see apiToken).
  natsUser: { env: ['STATOR_NATS_USER'] },
  natsPassword: { env: ['STATOR_NATS_PASSWORD'] },
  natsToken: { env: ['STATOR_NATS_TOKEN'] },
  natsCreds: { flag: 'nats-creds', env: ['STATOR_NATS_CREDS'] },
  natsNkeySeed: { env: ['STATOR_NATS_NKEY_SEED'] },
  natsPrefix: { flag: 'nats-prefix', env: ['STATOR_NATS_PREFIX'] },
  hookIdempotencyRetention: {
    flag: 'hook-idempotency-retention',
    env: ['STATOR_HOOK_IDEMPOTENCY_RETENTION'],
  },
  rateLimit: { flag: 'rate-limit', env: ['STATOR_RATE_LIMIT'] },
  rateBurst: { flag: 'rate-burst', env: ['STATOR_RATE_BURST'] },
};

/** `node:util` parseArgs option specs of every config flag. */
export const CONFIG_FLAG_OPTIONS: Record<string, { type: 'string' }> = Object.fromEntries(
  Object.values(CONFIG_SOURCES)
    .filter((s) => s.flag !== undefined)
    .map((s) => [s.flag!, { type: 'string' as const }]),
);

/** Input of `resolveConfig()`. */
export interface ConfigInput {
  /** Parsed flags keyed by flag name without dashes prefix (`data-dir`). */
  flags?: Record<string, unknown>;
  /** Environment. @default process.env */
  env?: Record<string, string | undefined>;
}

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';

/** Resolves the configuration: flags, then env, then defaults; InvalidArgumentError naming the source. */
export function resolveConfig(input: ConfigInput = {}): Config {
  const flags = input.flags ?? {};
  const env = input.env ?? process.env;
  const raw: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const [key, source] of Object.entries(CONFIG_SOURCES)) {
    if (source.flag !== undefined && present(flags[source.flag])) {
      raw[key] =
        typeof flags[source.flag] === 'string'
          ? (flags[source.flag] as string).trim()
          : flags[source.flag];
      origin[key] = `--${source.flag}`;
      continue;
    }
    const name = source.env.find((n) => present(env[n]));
    if (name !== undefined) {
      raw[key] = env[name]!.trim();
      origin[key] = name;
    }
  }
  const parsed = configSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues: FieldIssue[] = parsed.error.issues.map((i) => {
    const key = String(i.path[0] ?? '');
    return { path: origin[key] ?? key, message: i.message };
  });
  throw InvalidArgumentError.format(issues);
}

/** The service options a configuration implies. */
export function statorOptionsFromConfig(config: Config, logger?: Logger): StatorOptions {
  const options: StatorOptions = {
    dataDir: config.dataDir,
    engines: config.engines,
    slotsPerEngine: config.slots,
  };
  if (config.nodeName !== undefined) options.node = config.nodeName;
  if (config.hookIdempotencyRetention !== undefined) {
    options.webhooks = { idempotencyRetentionMs: config.hookIdempotencyRetention };
  }
  if (config.rateLimit !== undefined || config.rateBurst !== undefined) {
    options.rateLimit = {
      ...(config.rateLimit !== undefined && { ratePerSecond: config.rateLimit }),
      ...(config.rateBurst !== undefined && { burst: config.rateBurst }),
    };
  }
  if (logger !== undefined) options.logger = logger;
  return options;
}

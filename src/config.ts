/**
 * Service configuration from command-line flags and STATOR_* environment variables, through
 * one zod schema. Flags win over the environment; errors name the flag or variable at fault.
 * @module
 */
import { z } from 'zod';
import type { Logger } from 'pino';
import { DEFAULT_PREFIX, PREFIX_RULE, isValidPrefix } from './bus/index.ts';
import { DEFAULT_RATE_BURST, DEFAULT_RATE_PER_SECOND } from './commands/index.ts';
import { InvalidArgumentError, type FieldIssue } from './errors.ts';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_ENGINES,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_QUEUE_LIMIT,
  DEFAULT_EXECUTE_IDEMPOTENCY_RETENTION_MS,
  DEFAULT_SLOTS_PER_ENGINE,
  DEFAULT_RETENTION,
  DEFAULT_LEASE_TTL_MS,
  MAX_LEASE_TTL_MS,
  MIN_LEASE_TTL_MS,
  formatRetention,
  parseRetention,
  type StatorOptions,
} from './runtime/index.ts';
import { DEFAULT_MAX_SESSIONS } from './sessions/index.ts';
import { BASE_ENV_NAMES, passthroughNameProblem } from './exec/index.ts';
import { DEFAULT_IDEMPOTENCY_RETENTION_MS } from './triggers/index.ts';
import { formatDuration, parseDuration } from './workflow/index.ts';
import { loadPolicyFile } from './plans/index.ts';

/** Default of `Config.host`: loopback only. */
export const DEFAULT_HOST = '127.0.0.1';
/** Default of `Config.port`. */
export const DEFAULT_PORT = 8080;
/** Default of `Config.workflowsDir`. */
export const DEFAULT_WORKFLOWS_DIR = 'examples';
/** Default of `Config.logLevel`. */
export const DEFAULT_LOG_LEVEL = 'info';
/** Default of `Config.shutdownTimeout` (ms): SIGTERM to exit. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** Bounds of `Config.shutdownTimeout` (ms). */
const SHUTDOWN_TIMEOUT_RANGE = { min: 100, max: 600_000 } as const;
/** Of the shutdown timeout, what stopping runs after the drain may take (kill grace and a bit). */
const STOP_RESERVE_MS = DEFAULT_KILL_GRACE_MS + 1000;

/** pino levels accepted by `--log-level` / STATOR_LOG_LEVEL. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A pino level, as `--log-level` and `Config.logLevel` take it. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const NATS_URL = /^(nats|tls|ws|wss):\/\/[^\s,]+$/;

/** A duration string (`3s`, `500ms`, `1m30s`) or plain milliseconds, as ms. */
function durationMs(text: string): number {
  return /^\d+$/.test(text) ? Number(text) : parseDuration(text);
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** A size (`1048576`, `50MiB`, `2mb`) in bytes; refused when malformed or not positive. */
function byteSize(text: string, ctx: z.RefinementCtx): number {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Number(m[1]) * unit : Number.NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    ctx.addIssue({ code: 'custom', message: 'must be a size such as 1048576, 50MiB or 2GB' });
    return z.NEVER;
  }
  return bytes;
}

/** A duration setting read with `parse`, in ms, refused with `message` outside [min, max]. */
function durationIn(parse: (text: string) => number, min: number, max: number, message: string) {
  return z.string().transform((s, ctx) => {
    try {
      const ms = parse(s);
      if (ms >= min && ms <= max) return ms;
      ctx.addIssue({ code: 'custom', message });
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
    return z.NEVER;
  });
}

/** `true`/`false` (also `1`/`0`, `yes`/`no`) from the environment, or a boolean flag. */
const booleanSetting = z
  .union([
    z.boolean(),
    z
      .string()
      .toLowerCase()
      .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false')),
  ])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

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
  /**
   * The deployment's name on NATS: the first token of every subject and the start of every queue
   * group, stream, bucket and consumer name, so several deployments can share one NATS server.
   */
  natsPrefix: z.string().refine(isValidPrefix, PREFIX_RULE).default(DEFAULT_PREFIX),
  /**
   * Copies JetStream keeps of every stream and bucket Stator creates (1, 3 or 5: one NATS node
   * of a three-node cluster may die without losing or stalling anything at 3).
   */
  natsReplicas: z.coerce.number().int().min(1).max(5).default(1),
  /** How long a webhook's Idempotency-Key is remembered, ms (from e.g. `24h`, at most `7d`). */
  hookIdempotencyRetention: durationIn(
    parseDuration,
    1000,
    7 * 86_400_000,
    'must be between 1s and 7d',
  ).optional(),
  /** Finished executions kept (`30d`, `100000 runs`, `7d,100000 runs`, `forever`), canonical. */
  retention: z
    .string()
    .transform((s, ctx) => {
      try {
        return formatRetention(parseRetention(s));
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  /** Commands per second per client and per session (token bucket refill); 0 turns limits off. */
  rateLimit: z.coerce.number().finite().min(0).max(1_000_000).optional(),
  /** Commands a client or session may send in one burst (bucket size). */
  rateBurst: z.coerce.number().int().min(1).max(1_000_000).optional(),
  /** Sessions this process holds; one more is refused (409). */
  maxSessions: z.coerce.number().int().min(1).max(100_000).optional(),
  /** Bytes one step artifact may have (`50MiB`, `1048576`); a bigger file is refused. */
  artifactMaxFile: z.string().transform(byteSize).optional(),
  /** Bytes all artifacts of one run may have; files past it are refused. */
  artifactMaxRun: z.string().transform(byteSize).optional(),
  /** Consecutive failed http calls to one host that open its circuit breaker (0: off). */
  httpBreakerFailures: z.coerce.number().int().min(0).max(1000).optional(),
  /** How long an open breaker fails calls fast, ms (from e.g. `30s`). */
  httpBreakerCoolDown: durationIn(
    durationMs,
    1,
    86_400_000,
    'must be between 1ms and 1d',
  ).optional(),
  /** Executions waiting for a slot on this node; one more execute is refused (429 queue_full). */
  maxQueued: z.coerce.number().int().min(1).max(10_000_000).optional(),
  /** How long an execute Idempotency-Key is remembered, ms (from e.g. `24h`, at most `7d`). */
  idempotencyRetention: durationIn(
    parseDuration,
    1000,
    7 * 86_400_000,
    'must be between 1s and 7d',
  ).optional(),
  /** A Stately inspector's WebSocket URL: every actor's inspection events go there. */
  inspect: z
    .string()
    .url()
    .refine((u) => /^wss?:\/\//.test(u), 'must be a ws:// or wss:// URL')
    .optional(),
  /** Cluster: how long a node's leases outlive its last heartbeat, ms (from e.g. `10s`). */
  leaseTtl: durationIn(
    durationMs,
    MIN_LEASE_TTL_MS,
    MAX_LEASE_TTL_MS,
    'must be between 1s and 10m',
  ).default(DEFAULT_LEASE_TTL_MS),
  /** SIGTERM/SIGINT to exit, ms (from e.g. `10s`, `500ms` or plain ms); the exit is forced then. */
  shutdownTimeout: durationIn(
    durationMs,
    SHUTDOWN_TIMEOUT_RANGE.min,
    SHUTDOWN_TIMEOUT_RANGE.max,
    'must be between 100ms and 10m',
  ).default(DEFAULT_SHUTDOWN_TIMEOUT_MS),
  /**
   * On shutdown, stop the processes of running steps and sessions (steps end `interrupted`)
   * instead of leaving them to the process host for the next start.
   */
  stopProcesses: booleanSetting.default(false),
  /** The global policy file (YAML or JSON, src/plans), or `none`. */
  policy: z.string().min(1).optional(),
  /** Variables of the server that steps and sessions also get (comma-separated names). */
  stepEnvPassthrough: z
    .string()
    .transform((s, ctx) => {
      const names = s
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n !== '');
      for (const name of names) {
        const problem = passthroughNameProblem(name);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      }
      return names;
    })
    .optional(),
});

/** The resolved configuration. */
export type Config = z.output<typeof configSchema>;
type ConfigKey = keyof Config;

/** Where a setting comes from, and its line in `stator serve --help`. */
export interface ConfigSource {
  /** The flag, without `--`; none for secrets, which a command line shows to `ps`. */
  flag?: string;
  /** Environment variables, in priority order. */
  env: string[];
  /** Placeholder of the value in the help, e.g. `N`. */
  arg?: string;
  /** What it sets, for the help. */
  help: string;
  /** The default as the help shows it, when the schema has none (it is applied elsewhere). */
  defaultText?: string;
  /** A flag without a value (`--stop-processes`); the environment says `true` or `false`. */
  boolean?: true;
}

/**
 * Every setting's flag and environment variables, and its help: the flags `serve` parses and its
 * `--help` are both made from this table, so neither can miss a setting.
 */
export const CONFIG_SOURCES: Record<ConfigKey, ConfigSource> = {
  workflowsDir: {
    flag: 'workflows',
    env: ['STATOR_WORKFLOWS_DIR'],
    arg: 'DIR',
    help: 'workflow files loaded at start',
  },
  port: { flag: 'port', env: ['STATOR_PORT', 'PORT'], arg: 'N', help: 'HTTP port (0: any free)' },
  host: { flag: 'host', env: ['STATOR_HOST'], arg: 'H', help: 'address the HTTP server binds' },
  dataDir: {
    flag: 'data-dir',
    env: ['STATOR_DATA_DIR'],
    arg: 'D',
    help: 'SQLite store and pid registry (embedded mode)',
  },
  logLevel: {
    flag: 'log-level',
    env: ['STATOR_LOG_LEVEL'],
    arg: 'L',
    help: LOG_LEVELS.join(' | '),
  },
  engines: { flag: 'engines', env: ['STATOR_ENGINES'], arg: 'N', help: 'engines of this process' },
  slots: { flag: 'slots', env: ['STATOR_SLOTS'], arg: 'N', help: 'parallel executions per engine' },
  nodeName: {
    flag: 'node-name',
    env: ['STATOR_NODE_NAME'],
    arg: 'NAME',
    help: 'name of this process in records and in a cluster',
    defaultText: 'host name and pid',
  },
  artifactMaxFile: {
    flag: 'artifact-max-file',
    env: ['STATOR_ARTIFACT_MAX_FILE'],
    arg: 'SIZE',
    help: 'bytes one step artifact may have (e.g. 50MiB); a bigger file is refused',
    defaultText: '50MiB',
  },
  artifactMaxRun: {
    flag: 'artifact-max-run',
    env: ['STATOR_ARTIFACT_MAX_RUN'],
    arg: 'SIZE',
    help: "bytes of all of one run's artifacts (e.g. 200MiB)",
    defaultText: '200MiB',
  },
  httpBreakerFailures: {
    flag: 'http-breaker-failures',
    env: ['STATOR_HTTP_BREAKER_FAILURES'],
    arg: 'N',
    help: 'failed http calls in a row that open a host circuit breaker (0: off)',
    defaultText: '5',
  },
  httpBreakerCoolDown: {
    flag: 'http-breaker-cool-down',
    env: ['STATOR_HTTP_BREAKER_COOL_DOWN'],
    arg: 'DURATION',
    help: 'how long an open http circuit breaker fails calls fast',
    defaultText: '30s',
  },
  maxSessions: {
    flag: 'max-sessions',
    env: ['STATOR_MAX_SESSIONS'],
    arg: 'N',
    help: 'sessions this process holds; one more is refused (409)',
    defaultText: String(DEFAULT_MAX_SESSIONS),
  },
  maxQueued: {
    flag: 'max-queued',
    env: ['STATOR_MAX_QUEUED'],
    arg: 'N',
    help: 'executions waiting for a slot on this node; one more execute is refused (429 queue_full)',
    defaultText: String(DEFAULT_QUEUE_LIMIT),
  },
  idempotencyRetention: {
    flag: 'idempotency-retention',
    env: ['STATOR_IDEMPOTENCY_RETENTION'],
    arg: 'DURATION',
    help: 'how long an execute Idempotency-Key is remembered per workflow (1s to 7d)',
    defaultText: formatDuration(DEFAULT_EXECUTE_IDEMPOTENCY_RETENTION_MS),
  },
  rateLimit: {
    flag: 'rate-limit',
    env: ['STATOR_RATE_LIMIT'],
    arg: 'N',
    help: 'commands/s per client and per session that change a session (0: no limit)',
    defaultText: String(DEFAULT_RATE_PER_SECOND),
  },
  rateBurst: {
    flag: 'rate-burst',
    env: ['STATOR_RATE_BURST'],
    arg: 'N',
    help: 'burst of those commands (bucket size)',
    defaultText: String(DEFAULT_RATE_BURST),
  },
  hookIdempotencyRetention: {
    flag: 'hook-idempotency-retention',
    env: ['STATOR_HOOK_IDEMPOTENCY_RETENTION'],
    arg: 'DURATION',
    help: 'how long a webhook Idempotency-Key is remembered (1s to 7d)',
    defaultText: formatDuration(DEFAULT_IDEMPOTENCY_RETENTION_MS),
  },
  retention: {
    flag: 'retention',
    env: ['STATOR_RETENTION'],
    arg: 'KEEP',
    help: 'finished executions kept: an age (30d, 12h, 30m), a count (100000 runs), both (7d,100000 runs) or forever',
    defaultText: DEFAULT_RETENTION,
  },
  natsUrl: {
    flag: 'nats',
    env: ['STATOR_NATS_URL'],
    arg: 'URL',
    help: 'cluster mode: NATS bus, JetStream store and shared work queue',
    defaultText: 'embedded mode',
  },
  natsCreds: {
    flag: 'nats-creds',
    env: ['STATOR_NATS_CREDS'],
    arg: 'FILE',
    help: 'NATS credentials file',
  },
  natsPrefix: {
    flag: 'nats-prefix',
    env: ['STATOR_PREFIX', 'STATOR_NATS_PREFIX'],
    arg: 'P',
    help: 'names a deployment: every subject, queue group, stream and bucket starts with it',
    defaultText: DEFAULT_PREFIX,
  },
  natsReplicas: {
    flag: 'nats-replicas',
    env: ['STATOR_NATS_REPLICAS'],
    arg: 'N',
    help: 'cluster: copies of every JetStream stream and bucket (3 on a three-node NATS cluster)',
    defaultText: '1',
  },
  inspect: {
    flag: 'inspect',
    env: ['STATOR_INSPECT'],
    arg: 'URL',
    help: "stream every actor's inspection events to a Stately inspector (ws://…)",
    defaultText: 'off',
  },
  leaseTtl: {
    flag: 'lease-ttl',
    env: ['STATOR_LEASE_TTL'],
    arg: 'DURATION',
    help: 'cluster: how long a node may be silent before another node takes its runs over (1s to 10m)',
    defaultText: formatDuration(DEFAULT_LEASE_TTL_MS),
  },
  shutdownTimeout: {
    flag: 'shutdown-timeout',
    env: ['STATOR_SHUTDOWN_TIMEOUT'],
    arg: 'DURATION',
    help: 'SIGTERM/SIGINT to exit (e.g. 10s, 500ms); the exit is forced then',
    defaultText: formatDuration(DEFAULT_SHUTDOWN_TIMEOUT_MS),
  },
  stopProcesses: {
    flag: 'stop-processes',
    env: ['STATOR_STOP_PROCESSES'],
    boolean: true,
    help: 'on shutdown, stop running steps (interrupted) and sessions; else the host keeps them',
  },
  policy: {
    flag: 'policy',
    env: ['STATOR_POLICY_FILE'],
    arg: 'FILE',
    help: "global policy of every run (YAML/JSON {deny, requireApproval, maxDuration, maxParallel}); 'none' turns it off",
    defaultText: 'deny critical findings',
  },
  stepEnvPassthrough: {
    flag: 'step-env-passthrough',
    env: ['STATOR_STEP_ENV_PASSTHROUGH'],
    arg: 'NAMES',
    help: `variables of the server steps and sessions get besides ${BASE_ENV_NAMES.join(', ')} (comma-separated)`,
    defaultText: 'none',
  },
  // Secrets come from the environment only.
  apiToken: {
    env: ['STATOR_API_TOKEN'],
    help: "every /api route and /metrics need 'Authorization: Bearer <token>' (16+ characters)",
    defaultText: 'no auth',
  },
  natsUser: { env: ['STATOR_NATS_USER'], help: 'NATS user (with STATOR_NATS_PASSWORD)' },
  natsPassword: { env: ['STATOR_NATS_PASSWORD'], help: 'NATS password' },
  natsToken: { env: ['STATOR_NATS_TOKEN'], help: 'NATS token' },
  natsNkeySeed: { env: ['STATOR_NATS_NKEY_SEED'], help: 'NATS nkey seed' },
};

/** `node:util` parseArgs option specs of every config flag. */
export const CONFIG_FLAG_OPTIONS: Record<string, { type: 'string' | 'boolean' }> =
  Object.fromEntries(
    Object.values(CONFIG_SOURCES)
      .filter((s) => s.flag !== undefined)
      .map((s) => [s.flag!, { type: s.boolean ? ('boolean' as const) : ('string' as const) }]),
  );

/** The defaults the schema fills in, as the help shows them. */
function defaultOf(key: ConfigKey, source: ConfigSource): string | undefined {
  if (source.defaultText !== undefined) return source.defaultText;
  const field = configSchema.shape[key];
  const value: unknown = field.safeParse(undefined).data;
  return value === undefined ? undefined : String(value);
}

/**
 * The help of every setting, two lines each (name and variables, then what it sets and its
 * default): the flags first, then the settings read from the environment only.
 */
export function configHelpLines(): string[] {
  const entry = (key: ConfigKey, source: ConfigSource, name: string): string[] => {
    const fallback = defaultOf(key, source);
    return [`  ${name}`, `      ${source.help}${fallback === undefined ? '' : ` [${fallback}]`}`];
  };
  const sources = Object.entries(CONFIG_SOURCES) as Array<[ConfigKey, ConfigSource]>;
  return [
    'Options (each also read from the variables in parentheses; a flag wins):',
    ...sources.flatMap(([key, source]) =>
      source.flag === undefined
        ? []
        : entry(
            key,
            source,
            `--${source.flag}${source.boolean ? '' : ` ${source.arg ?? 'VALUE'}`}  (${source.env.join(', ')})`,
          ),
    ),
    '',
    'From the environment only (on a command line, ps would show them):',
    ...sources.flatMap(([key, source]) =>
      source.flag === undefined ? entry(key, source, source.env.join(', ')) : [],
    ),
  ];
}

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
  if (config.maxQueued !== undefined) options.queueLimit = config.maxQueued;
  if (config.idempotencyRetention !== undefined) {
    options.idempotencyRetentionMs = config.idempotencyRetention;
  }
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
  if (config.maxSessions !== undefined) options.maxSessions = config.maxSessions;
  if (config.artifactMaxFile !== undefined || config.artifactMaxRun !== undefined) {
    options.artifacts = {
      ...(config.artifactMaxFile !== undefined && { maxFileBytes: config.artifactMaxFile }),
      ...(config.artifactMaxRun !== undefined && { maxRunBytes: config.artifactMaxRun }),
    };
  }
  if (config.natsUrl !== undefined) {
    options.artifacts = { ...options.artifacts, replicas: config.natsReplicas };
  }
  if (config.httpBreakerFailures !== undefined || config.httpBreakerCoolDown !== undefined) {
    options.circuitBreaker = {
      ...(config.httpBreakerFailures !== undefined && { failures: config.httpBreakerFailures }),
      ...(config.httpBreakerCoolDown !== undefined && { coolDownMs: config.httpBreakerCoolDown }),
    };
  }
  if (config.inspect !== undefined) options.inspect = config.inspect;
  if (config.retention !== undefined) options.retention = { keep: config.retention };
  if (config.stepEnvPassthrough !== undefined) {
    options.stepEnvPassthrough = config.stepEnvPassthrough;
  }
  if (config.policy !== undefined) options.policy = loadPolicyFile(config.policy);
  options.shutdownGraceMs = shutdownGraceMs(config.shutdownTimeout);
  if (logger !== undefined) options.logger = logger;
  return options;
}

/**
 * How long runs may drain on shutdown (without a process host: memory store, cluster) so the
 * service still exits within `timeoutMs`: what is left after stopping the rest (kill grace and a
 * second), or nothing.
 */
export function shutdownGraceMs(timeoutMs: number): number {
  return Math.max(0, timeoutMs - STOP_RESERVE_MS);
}

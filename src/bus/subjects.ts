/**
 * The one module that builds Stator's names on a NATS server: subjects, queue groups, stream,
 * bucket and durable consumer names and the micro service name. No other file writes one.
 * Every name starts with the deployment's prefix (`--nats-prefix`, default `stator`), so two
 * deployments on one server never share a subject, a queue group or a stream:
 * - `<p>.<kind>.<id>.in|out`, `<p>.api.<command>`, `<p>.work.<pool>[.<priority>]` (DESIGN.md §3);
 * - queue groups `<p>-api`, `<p>-api-unknown`, `<p>-trigger-replicas`, `<p>-trigger-<workflowId>`;
 * - streams `<p>_events`, `<p>_logs`, `<p>_work`; buckets `<p>_<records>`, `<p>_leases`, `<p>_flow`,
 *   `<p>_queued`;
 * - durable consumers `<p>-<pool>[-p<priority>]` (work), `<p>_trigger_<triggerId>` (stream triggers);
 * - micro service name `<p>` (discovery subjects `$SRV.<VERB>[.<p>[.<id>]]` are the protocol's).
 * With the default prefix these are exactly the names of earlier releases.
 * @module
 */
import { InvalidArgumentError } from '../errors.ts';

/** The prefix of a deployment that names none. */
export const DEFAULT_PREFIX = 'stator';

/** Kinds of addressable actors. */
export const ACTOR_KINDS = [
  'engine',
  'session',
  'execution',
  'step',
  'trigger',
  'monitor',
] as const;
/** A kind of addressable actor. */
export type ActorKind = (typeof ACTOR_KINDS)[number];
/** Direction of an actor subject. */
export type Direction = 'in' | 'out';

/** An actor address `<kind>.<id>`, as carried in events' `source`. */
export type ActorAddress = `${ActorKind}.${string}`;

const INVALID_TOKEN = /[\s.*>]/;
/** A prefix is one subject token that is also valid in stream, bucket and consumer names. */
const PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** True when `token` may be one subject token: non-empty, no whitespace, dots or wildcards. */
export function isValidToken(token: string): boolean {
  return token.length > 0 && !INVALID_TOKEN.test(token);
}

/** Throws an InvalidArgumentError naming `field` unless `token` is a valid subject token. */
export function validateToken(token: string, field = 'id'): string {
  if (!isValidToken(token)) {
    throw InvalidArgumentError.format([
      {
        path: field,
        message: `'${token}' is not a valid subject token (no spaces, '.', '*' or '>')`,
      },
    ]);
  }
  return token;
}

/** Why `prefix` cannot name a deployment (the message of config and option errors). */
export const PREFIX_RULE = "1-32 letters, digits, '_' or '-', starting with a letter or digit";

/** True when `prefix` may name a deployment. */
export function isValidPrefix(prefix: unknown): prefix is string {
  return typeof prefix === 'string' && PREFIX_PATTERN.test(prefix);
}

/** Throws an InvalidArgumentError naming `field` unless `prefix` may name a deployment. */
export function validatePrefix(prefix: string, field = 'prefix'): string {
  if (!isValidPrefix(prefix)) {
    throw InvalidArgumentError.format([
      { path: field, message: `'${String(prefix)}' must be ${PREFIX_RULE}` },
    ]);
  }
  return prefix;
}

/** The address of an actor: `<kind>.<id>`. */
export function actorAddress(kind: ActorKind, id: string): ActorAddress {
  return `${kind}.${validateToken(id)}`;
}

/** Parsed form of an actor subject. */
export interface ParsedActorSubject {
  kind: ActorKind;
  id: string;
  direction: Direction;
}

/** A micro-protocol discovery verb. */
export type MicroVerb = 'PING' | 'INFO' | 'STATS';

/** Every name of one deployment, built from its prefix (see the module comment). */
export interface SubjectSpace {
  readonly prefix: string;
  /** `<p>.<kind>.<id>.in`: events sent to the actor. */
  actorIn(kind: ActorKind, id: string): string;
  /** `<p>.<kind>.<id>.out`: events the actor emits. */
  actorOut(kind: ActorKind, id: string): string;
  /** Wildcard over every actor of a kind (or of all kinds) in one direction. */
  actorWildcard(direction: Direction, kind?: ActorKind): string;
  /** Parses `<p>.<kind>.<id>.in|out`; undefined for any other subject. */
  parseActorSubject(subject: string): ParsedActorSubject | undefined;
  /** `<p>.api.<command>`: request-reply command subject (command names may be dotted). */
  apiSubject(command: string): string;
  /** Wildcard over every API command. */
  apiWildcard(): string;
  /** The command of `<p>.api.<command>`; undefined otherwise. */
  parseApiSubject(subject: string): string | undefined;
  /**
   * `<p>.work.<pool>`: execution requests waiting for an engine, at the default priority (3);
   * `<p>.work.<pool>.<priority>` for the others (1, 2, 4, 5).
   */
  workSubject(pool: string, priority?: number): string;
  /** Wildcard over every work pool. */
  workWildcard(): string;
  /** `<p>.actors.query`: every process answers what its live actors are (no queue group). */
  actorQuery(): string;
  /** True when `subject` (or pattern) lies under the prefix, which is reserved for Stator. */
  owns(subject: string): boolean;
  /** Queue groups. */
  readonly queues: {
    /** Every process answering `<p>.api.<command>`. */
    readonly api: string;
    /** The not-found answerer of unknown commands. */
    readonly apiUnknown: string;
    /** Every replica of a trigger's inbound subject. */
    readonly triggerReplicas: string;
    /** The default queue group of a workflow's NATS subject triggers. */
    trigger(workflowId: string): string;
  };
  /** JetStream stream names. */
  readonly streams: {
    /** Every actor's outbound events. */
    readonly events: string;
    /** Step log lines (subjects `<p>_logs.>`, never under `<p>.`). */
    readonly logs: string;
    /** The shared work queue. */
    readonly work: string;
  };
  /** JetStream KV bucket names. */
  readonly buckets: {
    readonly workflows: string;
    readonly executions: string;
    readonly steps: string;
    readonly index: string;
    readonly triggers: string;
    readonly idempotency: string;
    readonly sessions: string;
    readonly leases: string;
    /** Per-key flow control shared by the nodes (`runConcurrency`, `rateLimit`, `debounce`). */
    readonly flow: string;
    /** Runs waiting per workflow with `maxQueuedExecutions`, shared by the nodes (work-queue/). */
    readonly queued: string;
    /** Object store bucket of step artifacts (cluster mode). */
    readonly artifacts: string;
  };
  /** Durable consumer names. */
  readonly durables: {
    /**
     * The work queue's consumer shared by every process: `<p>-<pool>` for the default priority,
     * `<p>-<pool>-p<priority>` for the others.
     */
    work(pool: string, priority?: number): string;
    /** The consumer of one `nats: {stream}` trigger. */
    streamTrigger(triggerId: string): string;
  };
  /** NATS micro-protocol discovery. */
  readonly micro: {
    /** Service name shown by `nats micro ls`. */
    readonly name: string;
    /** The subjects a service instance answers `verb` on. */
    subjects(verb: MicroVerb, instanceId: string): string[];
  };
}

/** Builds the names of the deployment `prefix` (validated once here). */
export function subjectSpace(prefix: string = DEFAULT_PREFIX): SubjectSpace {
  const p = validatePrefix(prefix);
  const apiRoot = `${p}.api.`;
  const named = (suffix: string) => `${p}_${suffix}`;
  return {
    prefix: p,
    actorIn: (kind, id) => `${p}.${kind}.${validateToken(id)}.in`,
    actorOut: (kind, id) => `${p}.${kind}.${validateToken(id)}.out`,
    actorWildcard: (direction, kind) => `${p}.${kind ?? '*'}.*.${direction}`,
    parseActorSubject(subject) {
      const parts = subject.split('.');
      if (parts.length !== 4 || parts[0] !== p) return undefined;
      const [, kind, id, direction] = parts as [string, string, string, string];
      if (!(ACTOR_KINDS as readonly string[]).includes(kind)) return undefined;
      if (direction !== 'in' && direction !== 'out') return undefined;
      if (!isValidToken(id)) return undefined;
      return { kind: kind as ActorKind, id, direction };
    },
    apiSubject(command) {
      for (const part of command.split('.')) validateToken(part, 'command');
      return `${apiRoot}${command}`;
    },
    apiWildcard: () => `${apiRoot}>`,
    parseApiSubject: (subject) =>
      subject.startsWith(apiRoot) && subject.length > apiRoot.length
        ? subject.slice(apiRoot.length)
        : undefined,
    workSubject: (pool, priority) =>
      `${p}.work.${validateToken(pool, 'pool')}${workPriorityToken(priority)}`,
    workWildcard: () => `${p}.work.>`,
    actorQuery: () => `${p}.actors.query`,
    owns: (subject) => subject === p || subject.startsWith(`${p}.`),
    queues: {
      api: `${p}-api`,
      apiUnknown: `${p}-api-unknown`,
      triggerReplicas: `${p}-trigger-replicas`,
      trigger: (workflowId) => `${p}-trigger-${validateToken(workflowId, 'workflowId')}`,
    },
    streams: { events: named('events'), logs: named('logs'), work: named('work') },
    buckets: {
      workflows: named('workflows'),
      executions: named('executions'),
      steps: named('steps'),
      index: named('index'),
      triggers: named('triggers'),
      idempotency: named('idempotency'),
      sessions: named('sessions'),
      leases: named('leases'),
      flow: named('flow'),
      queued: named('queued'),
      artifacts: named('artifacts'),
    },
    durables: {
      work: (pool, priority) =>
        `${p}-${validateToken(pool, 'pool')}${workPriorityToken(priority, '-p')}`,
      streamTrigger: (triggerId) => `${p}_trigger_${validateToken(triggerId, 'triggerId')}`,
    },
    micro: {
      name: p,
      subjects: (verb, id) => [`$SRV.${verb}`, `$SRV.${verb}.${p}`, `$SRV.${verb}.${p}.${id}`],
    },
  };
}

/** The default work priority has no suffix (the names of releases before priorities). */
function workPriorityToken(priority: number | undefined, lead = '.'): string {
  if (priority === undefined || priority === 3) return '';
  if (!Number.isInteger(priority) || priority < 1 || priority > 5) {
    throw InvalidArgumentError.format([{ path: 'priority', message: 'must be 1 to 5' }]);
  }
  return `${lead}${priority}`;
}

/** Root token of reply inboxes (the NATS convention). */
export const INBOX_ROOT = '_INBOX';

/** `_INBOX.<nonce>.<seq>`: the reply subject of one request. */
export function inboxSubject(nonce: string, seq: number): string {
  return `${INBOX_ROOT}.${validateToken(nonce, 'nonce')}.${seq}`;
}

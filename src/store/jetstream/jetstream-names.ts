/**
 * The JetStream store's names: its buckets and streams (built by the deployment's SubjectSpace,
 * src/bus/subjects.ts, like every name on the server), keys and log subjects. Nothing else
 * concatenates these strings. Ids become key/subject tokens through `toToken`:
 * ids made of `[A-Za-z0-9_-]` (every Stator id, workflow id and step id) are used as they are;
 * anything else becomes `=` + base64url(utf8), which no plain token starts with, so the mapping
 * stays one-to-one and every token is valid in a KV key and a subject.
 * @module
 */
import { DEFAULT_PREFIX, subjectSpace, validatePrefix } from '../../bus/index.ts';
import { InvalidArgumentError } from '../../errors.ts';

/** Prefix used when none is given. */
export const DEFAULT_STORE_PREFIX = DEFAULT_PREFIX;

const PLAIN_TOKEN = /^[A-Za-z0-9_-]+$/;

/** Throws an InvalidArgumentError naming `prefix` unless it can prefix bucket and stream names. */
export function validateStorePrefix(prefix: string): string {
  return validatePrefix(prefix);
}

/** The key/subject token for an id (see the module comment). */
export function toToken(id: string): string {
  if (id.length === 0) {
    throw InvalidArgumentError.format([{ path: 'id', message: 'must not be empty' }]);
  }
  return PLAIN_TOKEN.test(id) ? id : `=${Buffer.from(id, 'utf8').toString('base64url')}`;
}

/** The id a token stands for (inverse of toToken). */
export function fromToken(token: string): string {
  return token.startsWith('=') ? Buffer.from(token.slice(1), 'base64url').toString('utf8') : token;
}

/** Every name the JetStream store uses under one prefix. */
export interface StoreNames {
  readonly prefix: string;
  /** KV bucket names. */
  readonly buckets: {
    /** `<workflowId>` → workflow record; `<workflowId>.body.<nuid>.<n>`: chunks of big ones. */
    readonly workflows: string;
    /** `<executionId>` → summary; `<executionId>.def.<n>`: definition chunks; `.log.<stepId>`: log counters. */
    readonly executions: string;
    /** `<executionId>.<stepId>` → step record with its ordinal. */
    readonly steps: string;
    /**
     * `wf.<workflowId>.<executionId>`, `open.<executionId>` and `done.<finishedAt>.<executionId>`:
     * empty index entries.
     */
    readonly index: string;
    /** `<triggerId>` → trigger state. */
    readonly triggers: string;
    /** `<scope>.<key>` → idempotency claim. */
    readonly idempotency: string;
    /** `<sessionId>` → session record. */
    readonly sessions: string;
  };
  /** Stream names. */
  readonly streams: {
    /** Step log lines, one subject per step. */
    readonly logs: string;
    /** Every actor's outbound events (see ensureEventStream). */
    readonly events: string;
  };
}

/** Builds (and validates) the names for `prefix`. */
export function storeNames(prefix: string = DEFAULT_STORE_PREFIX): StoreNames {
  const { buckets, streams } = subjectSpace(prefix);
  return {
    prefix,
    buckets: {
      workflows: buckets.workflows,
      executions: buckets.executions,
      steps: buckets.steps,
      index: buckets.index,
      triggers: buckets.triggers,
      idempotency: buckets.idempotency,
      sessions: buckets.sessions,
    },
    streams: { logs: streams.logs, events: streams.events },
  };
}

/** The stream behind a KV bucket. */
export function kvStreamName(bucket: string): string {
  return `KV_${bucket}`;
}

/** The stream subject of a KV key (or key pattern). */
export function kvSubject(bucket: string, key: string): string {
  return `$KV.${bucket}.${key}`;
}

/** KV keys and key patterns, per bucket. */
export const storeKeys = {
  workflow: (id: string) => toToken(id),
  /** Matches every workflow record (not their chunks). */
  allWorkflows: '*',
  /** Base key of a big workflow body's chunks; `blob` is unique per write. */
  workflowBody: (id: string, blob: string) => `${toToken(id)}.body.${blob}`,

  execution: (id: string) => toToken(id),
  /** Matches every execution summary (not chunks or counters). */
  allExecutions: '*',
  definition: (id: string) => `${toToken(id)}.def`,
  logCounter: (executionId: string, stepId: string) =>
    `${toToken(executionId)}.log.${toToken(stepId)}`,
  logCounters: (executionId: string) => `${toToken(executionId)}.log.*`,
  /** Matches an execution's definition chunks and log counters (not its summary). */
  executionParts: (executionId: string) => `${toToken(executionId)}.>`,

  step: (executionId: string, stepId: string) => `${toToken(executionId)}.${toToken(stepId)}`,
  stepsOf: (executionId: string) => `${toToken(executionId)}.*`,

  byWorkflow: (workflowId: string, executionId: string) =>
    `wf.${toToken(workflowId)}.${toToken(executionId)}`,
  byWorkflowAll: (workflowId: string) => `wf.${toToken(workflowId)}.*`,
  open: (executionId: string) => `open.${toToken(executionId)}`,
  openAll: 'open.*',
  /** A finished execution, by finish time (retention): `done.<finishTimeToken>.<executionId>`. */
  done: (finishedAt: string, executionId: string) =>
    storeKeys.doneOfTokens(finishTimeToken(finishedAt), toToken(executionId)),
  /** The same key from its two tokens, as a scan of `doneAll` returns them. */
  doneOfTokens: (timeToken: string, idToken: string) => `done.${timeToken}.${idToken}`,
  doneAll: 'done.*.*',
  /** Matches an execution's `wf.<workflowId>.<executionId>` entry without knowing the workflow. */
  byWorkflowOf: (executionId: string) => `wf.*.${toToken(executionId)}`,

  triggerState: (triggerId: string) => toToken(triggerId),
  /** Matches every trigger state. */
  allTriggerStates: '*',
  idempotencyClaim: (scope: string, key: string) => `${toToken(scope)}.${toToken(key)}`,

  session: (id: string) => toToken(id),
  /** Matches every session record. */
  allSessions: '*',
} as const;

/**
 * Log subjects: `<prefix>_logs.<executionId>.<stepId>`, under the logs stream's name. The root
 * token is not `<prefix>` itself so that the logs stream never overlaps `<prefix>.*.*.out`.
 */
export const logSubjects = {
  root: (names: StoreNames) => names.streams.logs,
  all: (names: StoreNames) => `${names.streams.logs}.>`,
  step: (names: StoreNames, executionId: string, stepId: string) =>
    `${names.streams.logs}.${toToken(executionId)}.${toToken(stepId)}`,
  of: (names: StoreNames, executionId: string) => `${names.streams.logs}.${toToken(executionId)}.*`,
} as const;

/**
 * A finish time as a key token that sorts as the time does: epoch milliseconds, zero-padded to
 * 15 digits (an unreadable time counts as the epoch).
 */
export function finishTimeToken(iso: string): string {
  const ms = Date.parse(iso);
  return String(Number.isNaN(ms) ? 0 : Math.max(0, ms)).padStart(15, '0');
}

/** The last token of a subject or key. */
export function lastToken(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}

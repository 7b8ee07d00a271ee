/**
 * Bounded step logs on JetStream: one stream, one subject per step
 * (`<prefix>_logs.<executionId>.<stepId>`), `max_msgs_per_subject = maxLogLinesPerStep` and
 * discard-old, so the server keeps the newest N lines of every step by itself. What was dropped
 * is `appended - kept`: a revision-checked counter per step (`<executionId>.log.<stepId>` in the
 * executions bucket) counts every line ever appended, and reading counts the kept ones. Lines of
 * one batch beyond the bound are counted but never sent. Reading is one ordered consumer over
 * the execution's (or the step's) subjects, so lines come back in append order across steps.
 * Lines arrive cut to the length limit (checkedStore).
 * @module
 */
import {
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { isStreamNotFound } from './jetstream-errors.ts';
import {
  fromToken,
  kvStreamName,
  kvSubject,
  lastToken,
  logSubjects,
  storeKeys,
  type StoreNames,
} from './jetstream-names.ts';
import { encodeJson, type RevisionedKv } from './jetstream-revisions.ts';
import { mapBounded, readSubjects } from './jetstream-scan.ts';
import type { ExecutionLogs, LogLine, LogStore } from '../roles/index.ts';
import type { StoreLimits } from '../types.ts';

/** Publishes in flight at once while appending. */
const PUBLISH_IN_FLIGHT = 256;

/** What the logs need from the store. */
export interface JetStreamLogsContext {
  js: JetStreamClient;
  names: StoreNames;
  limits: Pick<StoreLimits, 'maxLogLinesPerStep'>;
  /** The executions bucket: summaries (existence) and the per-step counters. */
  executions: RevisionedKv;
  /** Throws NotFoundError unless the execution exists. */
  requireExecution(executionId: string): Promise<void>;
}

interface LogCounter {
  appended: number;
}

/** Creates the logs stream, or sets its per-step bound to `limits` when it exists. */
export async function ensureLogStream(
  jsm: JetStreamManager,
  names: StoreNames,
  limits: Pick<StoreLimits, 'maxLogLinesPerStep'>,
  opts: { replicas: number; storage: 'file' | 'memory' },
): Promise<void> {
  const name = names.streams.logs;
  const max = limits.maxLogLinesPerStep;
  try {
    const info = await jsm.streams.info(name);
    if (info.config.max_msgs_per_subject !== max) {
      await jsm.streams.update(name, { ...info.config, max_msgs_per_subject: max });
    }
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
    await jsm.streams.add({
      name,
      subjects: [logSubjects.all(names)],
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: max,
      storage: opts.storage === 'memory' ? StorageType.Memory : StorageType.File,
      num_replicas: opts.replicas,
    });
  }
}

/** The logs role of the store described by `ctx`. */
export function createJetStreamLogs(ctx: JetStreamLogsContext): LogStore {
  const { js, names, limits, executions } = ctx;
  const decoder = new TextDecoder();

  return {
    async appendLogs(executionId, lines) {
      await ctx.requireExecution(executionId);
      if (lines.length === 0) return;
      const perStep = new Map<string, number>();
      for (const l of lines) perStep.set(l.stepId, (perStep.get(l.stepId) ?? 0) + 1);
      // Count first: a reader then sees at worst a few lines too many as dropped, never too few.
      await Promise.all(
        [...perStep].map(([stepId, incoming]) =>
          executions.modify<LogCounter>(storeKeys.logCounter(executionId, stepId), (cur) => ({
            appended: (cur?.value.appended ?? 0) + incoming,
          })),
        ),
      );
      // Leading lines of a step beyond the bound would be dropped at once: skip them.
      const skip = new Map<string, number>();
      for (const [stepId, incoming] of perStep) {
        if (incoming > limits.maxLogLinesPerStep) {
          skip.set(stepId, incoming - limits.maxLogLinesPerStep);
        }
      }
      const send = lines.filter((l) => {
        const left = skip.get(l.stepId) ?? 0;
        if (left > 0) skip.set(l.stepId, left - 1);
        return left === 0;
      });
      await mapBounded(send, PUBLISH_IN_FLIGHT, (l) =>
        js.publish(
          logSubjects.step(names, executionId, l.stepId),
          encodeJson({
            stepId: l.stepId,
            stream: l.stream,
            line: l.line,
            ts: l.ts,
            ...(l.attempt !== undefined && { attempt: l.attempt }),
          }),
        ),
      );
    },

    async getLogs(executionId, { stepId } = {}) {
      const filter =
        stepId === undefined
          ? logSubjects.of(names, executionId)
          : logSubjects.step(names, executionId, stepId);
      const [msgs, counters] = await Promise.all([
        readSubjects(js, names.streams.logs, filter),
        readCounters(executionId, stepId),
      ]);
      const kept = new Map<string, number>();
      const out: ExecutionLogs = { lines: [], truncated: {} };
      for (const m of msgs) {
        const l = JSON.parse(decoder.decode(m.data)) as LogLine;
        out.lines.push({
          stepId: l.stepId,
          stream: l.stream,
          line: l.line,
          ts: l.ts,
          ...(l.attempt !== undefined && { attempt: l.attempt }),
        });
        kept.set(l.stepId, (kept.get(l.stepId) ?? 0) + 1);
      }
      for (const [step, appended] of counters) {
        const dropped = appended - (kept.get(step) ?? 0);
        if (dropped > 0) out.truncated[step] = dropped;
      }
      return out;
    },
  };

  async function readCounters(executionId: string, stepId?: string): Promise<[string, number][]> {
    if (stepId !== undefined) {
      const c = await executions.get<LogCounter>(storeKeys.logCounter(executionId, stepId));
      return c === null ? [] : [[stepId, c.value.appended]];
    }
    const bucket = names.buckets.executions;
    const msgs = await readSubjects(
      js,
      kvStreamName(bucket),
      kvSubject(bucket, storeKeys.logCounters(executionId)),
      { lastPerSubject: true },
    );
    return msgs
      .filter((m) => m.operation === undefined)
      .map((m) => [
        fromToken(lastToken(m.subject)),
        (JSON.parse(decoder.decode(m.data)) as LogCounter).appended,
      ]);
  }
}

/**
 * A Stator for integration tests: `startStator()` creates the service on a fresh mkdtemp data
 * directory (SQLite by default, or the memory store), records every outbound event it emits,
 * and tears everything down (service, data directory, stray processes) on `close()` or with
 * `await using`. `restart()` closes the service and opens a new one on the same directory.
 * Test files usually get one through `useStator()` (use-stator.ts), which adds the hooks.
 * @module
 */
import { connectHost } from '../../src/host/index.ts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createStator,
  type ExecutionRecord,
  type Stator,
  type StatorOptions,
} from '../../src/index.ts';
import type { ExecutionEvent, StampedEvent } from '../../src/events.ts';
import { ProcessTracker } from '../fixtures/exec/process-tracker.ts';
import { waitFor } from './poll.ts';

/** An event of a run as a subscriber receives it. */
export type StampedExecutionEvent = StampedEvent & ExecutionEvent;

/** Types that end a run. */
export const FINAL_EVENT_TYPES: readonly string[] = [
  'execution.completed',
  'execution.failed',
  'execution.cancelled',
  'execution.timed_out',
];

/** Options of startStator: the service's options, with a store name only. */
export interface TestStatorOptions extends Omit<StatorOptions, 'store' | 'dataDir'> {
  /** @default "sqlite" */
  store?: 'sqlite' | 'memory';
  /** Use this directory instead of a fresh one (it is still removed at close). */
  dataDir?: string;
}

/** A running test service with its recorded events. */
export interface TestStator extends AsyncDisposable {
  /** The current service (replaced by restart()). */
  readonly stator: Stator;
  readonly dataDir: string;
  /** Every event received since the current service started, in delivery order. */
  readonly events: StampedEvent[];
  /** Pids learnt by the test; survivors are SIGKILLed at close. */
  readonly processes: ProcessTracker;
  /** Events of one run, in delivery order. */
  eventsOf(executionId: string): StampedExecutionEvent[];
  /** Resolves with the first recorded event (past or future) matching `pred`. */
  waitForEvent(pred: (e: StampedEvent) => boolean, timeoutMs?: number): Promise<StampedEvent>;
  /** Waits for the run's final record and for its final event to reach the subscriber. */
  finish(executionId: string, timeoutMs?: number): Promise<ExecutionRecord>;
  /** Executes and finishes a run; resolves with its record and events. */
  run(
    workflowId: string,
    input?: Record<string, unknown>,
    timeoutMs?: number,
  ): Promise<{ record: ExecutionRecord; events: StampedExecutionEvent[] }>;
  /** Closes the service and opens a new one on the same data directory. */
  restart(overrides?: Partial<TestStatorOptions>): Promise<Stator>;
  /** Closes the service, kills stray processes and removes the data directory. Idempotent. */
  close(): Promise<void>;
}

/** Creates a Stator on a fresh data directory and records its events. */
export async function startStator(options: TestStatorOptions = {}): Promise<TestStator> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'stator-rt-')));
  const processes = new ProcessTracker();
  const events: StampedEvent[] = [];
  let current = options;
  let stator: Stator;
  let closed: Promise<void> | undefined;

  const open = async (opts: TestStatorOptions): Promise<Stator> => {
    const s = await createStator({
      node: 'test-node',
      // Tests end runs they leave behind by closing: no grace for them to finish.
      shutdownGraceMs: 0,
      ...opts,
      dataDir,
      store: opts.store ?? 'sqlite',
    });
    // From seq 0: what the service published while it was starting (catch-up fires, restored
    // sessions) is kept by the monitor and replayed first.
    s.subscribe((e) => events.push(e), { bufferSize: 1_000_000, name: 'test-harness', since: 0 });
    return s;
  };
  try {
    stator = await open(options);
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }

  const harness: TestStator = {
    get stator() {
      return stator;
    },
    dataDir,
    events,
    processes,
    eventsOf(executionId) {
      return events.filter(
        (e) => (e as { executionId?: string }).executionId === executionId,
      ) as StampedExecutionEvent[];
    },
    waitForEvent(pred, timeoutMs = 10_000) {
      return waitFor(() => events.find(pred), { timeoutMs, message: 'expected event' });
    },
    async finish(executionId, timeoutMs = 15_000) {
      const record = await stator.waitForExecution(executionId, { timeoutMs });
      await harness.waitForEvent(
        (e) =>
          FINAL_EVENT_TYPES.includes(e.type) &&
          (e as { executionId?: string }).executionId === executionId,
        timeoutMs,
      );
      return record;
    },
    async run(workflowId, input, timeoutMs) {
      const { executionId } = await stator.execute(workflowId, input);
      const record = await harness.finish(executionId, timeoutMs);
      return { record, events: harness.eventsOf(executionId) };
    },
    async restart(overrides = {}) {
      await stator.close();
      events.length = 0;
      current = { ...current, ...overrides };
      stator = await open(current);
      return stator;
    },
    close() {
      closed ??= (async () => {
        try {
          // A test ends what it started: steps and sessions are not left to the process host.
          await stator.close({ stopProcesses: true });
        } finally {
          await shutDownHost(dataDir);
          processes.killSurvivors();
          await rm(dataDir, { recursive: true, force: true });
        }
      })();
      return closed;
    },
    [Symbol.asyncDispose]() {
      return harness.close();
    },
  };
  return harness;
}

/** A fresh temporary directory for a test's files; remove it with the returned function. */
export async function tempDir(prefix = 'stator-rt-files-'): Promise<{
  path: string;
  remove: () => Promise<void>;
}> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Milliseconds since the epoch of an ISO time (throws on null, so tests fail loudly). */
export function ms(iso: string | null | undefined): number {
  if (!iso) throw new Error('expected a timestamp, got none');
  return Date.parse(iso);
}

/** Index of the first event matching type (and step), or -1. */
export function indexOfEvent(events: readonly StampedEvent[], type: string, stepId?: string) {
  return events.findIndex(
    (e) =>
      e.type === type && (stepId === undefined || (e as { stepId?: string }).stepId === stepId),
  );
}

/** Waits until `file` holds a pid (a positive integer) and returns it. */
export async function readPid(file: string, timeoutMs = 10_000): Promise<number> {
  return waitFor(
    async () => {
      const n = Number((await readFile(file, 'utf8')).trim());
      return Number.isInteger(n) && n > 0 ? n : undefined;
    },
    { timeoutMs, message: `pid in ${file}` },
  );
}

/** Shuts down the data directory's process host, if one still answers, killing what it holds. */
async function shutDownHost(dataDir: string): Promise<void> {
  const host = await connectHost({ dataDir, startIfMissing: false }).catch(() => undefined);
  if (!host) return;
  try {
    await host.shutdown({ killProcesses: true });
  } catch {
    // Gone meanwhile.
  } finally {
    host.close();
  }
}

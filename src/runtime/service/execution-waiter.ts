/**
 * `waitForExecution`: resolves with a run's final record once the run has finished and its
 * final events have reached the in-process subscribers. A run this process holds is waited for
 * in memory (LiveExecutions); a run that may end on another process of a cluster is polled in
 * the store.
 * @module
 */
import type { Clock } from '../../clock.ts';
import { TimeoutError } from '../../errors.ts';
import { FINAL_EXECUTION_STATUSES, type ExecutionRecord } from '../../store/index.ts';
import type { LiveExecutions } from '../live-executions.ts';

/** What waiting for a run uses. */
export interface ExecutionWaiterContext {
  executions: Pick<LiveExecutions, 'get' | 'waitFor' | 'settling'>;
  /** The work queue is this process's own (embedded): a run queued here ends here. */
  localQueue: boolean;
  /** Records created here and not yet adopted. */
  created: ReadonlyMap<string, ExecutionRecord>;
  /** The stored record; NotFoundError when there is none. */
  getExecution(id: string): Promise<ExecutionRecord>;
  /** Reads the deadline and times the polls. */
  clock: Clock;
}

const POLL_MS = 200;
const LOCAL_POLL_MS = 1000;
const DEFAULT_TIMEOUT_MS = 24 * 3600_000;

/** Waits for runs to finish. */
export class ExecutionWaiter {
  constructor(private readonly ctx: ExecutionWaiterContext) {}

  /** Resolves with the final record once the run has finished; TimeoutError after `timeoutMs`. */
  async waitFor(id: string, opts: { timeoutMs?: number } = {}): Promise<ExecutionRecord> {
    const { executions, clock } = this.ctx;
    const deadline = clock.now() + (opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    // A run this process holds (live, or created here for the in-process queue) is not
    // finished: wait for its end before the first read instead of reading it twice.
    // Asked on every pass: a queued run is read from the store only once it is no longer held here
    // (10,000 waiters on queued runs would otherwise each read the store once a second).
    const unfinished = () =>
      executions.get(id) !== undefined || (this.ctx.localQueue && this.ctx.created.has(id));
    for (;;) {
      if (!unfinished()) {
        const record = await this.ctx.getExecution(id);
        if (FINAL_EXECUTION_STATUSES.includes(record.status) && !executions.get(id)) {
          // Finished here a moment ago: its final events may still be on their way to the
          // subscribers, which hear of them before the caller does.
          const settling = executions.settling(id);
          if (settling) await settling;
          return record;
        }
      }
      const left = deadline - clock.now();
      if (left <= 0) throw new TimeoutError(`execution '${id}' did not finish in time`, { id });
      // With an in-process queue the run ends here, queued or live: wait for its end (a slow
      // poll only guards against a run that never became live). In a cluster it may end on
      // another process: poll the store.
      const local = this.ctx.localQueue || executions.get(id) !== undefined;
      const ended = await new Promise<ExecutionRecord | undefined>((resolve) => {
        const timer = clock.setTimeout(
          () => resolve(undefined),
          Math.min(left, local ? LOCAL_POLL_MS : POLL_MS),
        );
        if (local)
          void executions.waitFor(id).then((record) => {
            clock.clearTimeout(timer);
            resolve(record);
          });
      });
      // The run ended here: its final record comes from memory, already stored.
      if (ended && !executions.get(id)) return ended;
    }
  }
}

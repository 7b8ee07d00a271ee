/**
 * Writes one session's record to the store after its changes: coalesced (one write in flight,
 * then one more with the latest state), with a way to let a minor change wait a little (output
 * offsets), and a hook told of every record that was stored.
 * @module
 */
import type { Logger } from 'pino';
import type { SessionRecord } from '../store/index.ts';
import { unrefTimer, type Clock, type TimerHandle } from '../clock.ts';

/** What the writer reads, writes and tells. */
export interface RecordWriterDeps {
  sessionId: string;
  logger: Logger;
  /** Times the writes that may wait (`soon`). */
  clock: Clock;
  /** The record as it is now (read when a write starts). */
  read(): SessionRecord;
  persist(record: SessionRecord): Promise<void>;
  /** `record` was stored. */
  stored(record: SessionRecord): void;
}

/** The coalescing writer of one session's record. */
export class RecordWriter {
  #writing: Promise<void> = Promise.resolve();
  #dirty = false;
  #closed = false;
  #timer: TimerHandle | undefined;

  constructor(private readonly deps: RecordWriterDeps) {}

  /** Schedules a write of the current record. */
  touch(): void {
    if (this.#closed) return;
    this.#clearTimer(); // the write takes the latest state
    if (this.#dirty) return;
    this.#dirty = true;
    this.#writing = this.#writing.then(async () => {
      this.#dirty = false;
      const record = this.deps.read();
      try {
        await this.deps.persist(record);
      } catch (err) {
        const { logger, sessionId } = this.deps;
        logger.error({ err, sessionId }, 'storing session state failed');
        return;
      }
      this.deps.stored(record);
    });
  }

  /** Schedules a write within `ms`, unless one comes sooner. */
  soon(ms: number): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = unrefTimer(
      this.deps.clock.setTimeout(() => {
        this.#timer = undefined;
        this.touch();
      }, ms),
    );
  }

  /** Resolves once every change so far is stored. */
  async flush(): Promise<void> {
    while (this.#dirty) await this.#writing;
    await this.#writing;
  }

  /** Writes nothing more (what is scheduled still goes). */
  close(): void {
    this.#closed = true;
    this.#clearTimer();
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) this.deps.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

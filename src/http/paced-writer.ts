/**
 * Coalesces small text chunks into few socket writes and tells its caller when to wait. While a
 * write is in flight, further chunks gather into the next one (so a busy stream sends batches
 * and an idle one sends each event at once). `push()` returns a promise once more than the
 * high-water mark waits: the monitor then holds the subscriber's next events in its own bounded
 * buffer, where a client that does not keep up loses them, counted.
 * @module
 */

/** Characters waiting past which `push()` asks its caller to wait, unless told otherwise. */
export const DEFAULT_PACED_HIGH_WATER = 64 * 1024;

/** A batching writer over one async write function. */
export class PacedWriter {
  #parts: string[] = [];
  #length = 0;
  #flushing = false;
  #closed = false;
  #waiters: Array<() => void> = [];

  constructor(
    private readonly write: (text: string) => Promise<unknown>,
    private readonly highWater: number = DEFAULT_PACED_HIGH_WATER,
  ) {}

  /** True when nothing is written or waiting. */
  get idle(): boolean {
    return !this.#flushing && this.#parts.length === 0;
  }

  /** Characters waiting for the next write. */
  get waiting(): number {
    return this.#length;
  }

  /** Queues text; returns a promise to await when the caller should slow down. */
  push(text: string): Promise<void> | undefined {
    if (this.#closed) return undefined;
    this.#parts.push(text);
    this.#length += text.length;
    if (!this.#flushing) void this.#flush();
    if (this.#length < this.highWater) return undefined;
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Drops what waits and releases every waiter; later pushes are ignored. */
  close(): void {
    this.#closed = true;
    this.#parts = [];
    this.#length = 0;
    this.#wake();
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (!this.#closed && this.#parts.length > 0) {
        const text = this.#parts.length === 1 ? this.#parts[0]! : this.#parts.join('');
        this.#parts = [];
        this.#length = 0;
        this.#wake();
        await this.write(text);
      }
    } catch {
      // The socket is gone: nothing more can be written.
      this.close();
    } finally {
      this.#flushing = false;
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

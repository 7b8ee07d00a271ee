/**
 * Waiting without sleeping: `waitFor` polls a condition until it holds or a deadline passes;
 * `latch(n)` resolves once it has been counted down n times.
 * @module
 */

/** Options of waitFor. */
export interface WaitForOptions {
  /** @default 10000 */
  timeoutMs?: number;
  /** @default 10 */
  intervalMs?: number;
  /** Prefix of the error message on timeout. @default 'condition not met' */
  message?: string;
}

/**
 * Polls `fn` until it returns a truthy value (which is returned) or the timeout passes.
 * Exceptions thrown by `fn` count as "not yet"; the last one is named in the timeout error.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  opts: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 10_000, intervalMs = 10, message = 'condition not met' } = opts;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`${message} within ${timeoutMs} ms${why}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A countdown latch. */
export interface Latch {
  /** Counts down by one (never below zero). */
  countDown(): void;
  /** Counts still missing. */
  readonly remaining: number;
  /** Resolves when the count reaches zero; rejects after `timeoutMs` (default 10000). */
  wait(timeoutMs?: number): Promise<void>;
}

/** A latch that opens after `n` countDown() calls. */
export function latch(n: number): Latch {
  let remaining = n;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  if (remaining <= 0) open();
  return {
    countDown() {
      if (remaining > 0 && --remaining === 0) open();
    },
    get remaining() {
      return remaining;
    },
    async wait(timeoutMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(new Error(`latch: ${remaining} of ${n} still missing after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([opened, expired]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Awaits `promise` and returns its rejection reason; fails when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the promise to reject, but it resolved');
}

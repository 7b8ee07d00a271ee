/**
 * Calling a subscriber's handler, the same way on every bus: a handler that throws or returns
 * a rejected promise is counted (`handlerErrors` and `dropped`) and reported to the bus's error
 * hook; it never breaks delivery to anyone else.
 * @module
 */
import type { BusHandler, BusMessage, BusStats } from './types.ts';

/** Reports handler failures; may be absent. */
export type HandlerErrorHook = ((err: unknown, msg: BusMessage) => void) | undefined;

/** Delivers `msg` to `handler`, counting the delivery or the failure in `stats`. */
export function callHandler(
  handler: BusHandler,
  msg: BusMessage,
  stats: BusStats,
  onError: HandlerErrorHook,
): void {
  try {
    const result: unknown = handler(msg);
    if (result instanceof Promise)
      result.catch((err: unknown) => handlerFailed(err, msg, stats, onError));
    stats.delivered++;
  } catch (err) {
    handlerFailed(err, msg, stats, onError);
  }
}

function handlerFailed(
  err: unknown,
  msg: BusMessage,
  stats: BusStats,
  onError: HandlerErrorHook,
): void {
  stats.handlerErrors++;
  stats.dropped++;
  try {
    onError?.(err, msg);
  } catch {
    // A failing error hook must not break delivery.
  }
}

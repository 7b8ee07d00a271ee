/**
 * Asking an actor's owner: a request on the actor's inbound subject, which only its owner
 * subscribes (runtime/actor-router.ts), answered `{ok, data}` or `{ok: false, error}`. Nobody
 * subscribed ("no responders") is an answer too, given at once by the server: no process holds
 * the actor (never adopted, finished, or its node is gone); so is an answer `no_responders`
 * (the owner let go of the actor while the request was on its way) or `not_found` marked
 * `held: false` (an embedded process answering for actors nobody holds). Each caller decides
 * what that means.
 * @module
 */
import { StatorError, UnavailableError, type WireError } from '../errors.ts';
import type { Bus } from './types.ts';

/**
 * What the owner said: its data, or nobody holds the actor; `known: false` when the answer
 * came from the only process there is (embedded), which knows that the actor does not exist.
 */
export type OwnerAnswer<T> = { held: true; data: T } | { held: false; known?: false };

/**
 * Sends `event` on `subject` and returns the owner's data; its error is rethrown as a StatorError
 * with the same code. `{held: false}` when nobody subscribes. The bus's TimeoutError when the
 * owner does not answer within `timeoutMs` (alive but stuck, or its connection died unnoticed).
 */
export async function requestOwner<T>(
  bus: Pick<Bus, 'request'>,
  subject: string,
  event: { type: string } & Record<string, unknown>,
  timeoutMs: number,
): Promise<OwnerAnswer<T>> {
  let body: { ok: boolean; data?: T; error?: WireError };
  try {
    body = (await bus.request(subject, event, { timeoutMs })).json();
  } catch (err) {
    if (err instanceof StatorError && err.code === 'no_responders') return { held: false };
    if (err instanceof StatorError) throw err;
    throw new UnavailableError(`no answer on '${subject}': ${(err as Error).message}`, err);
  }
  if (body.ok) return { held: true, data: body.data as T };
  const e = body.error;
  // The process asked let go of the actor meanwhile, or (embedded) nobody holds it, and says so.
  const held = (e?.details as { held?: unknown } | undefined)?.held;
  if (e?.code === 'no_responders') return { held: false };
  if (e?.code === 'not_found' && held === false) return { held: false, known: false };
  throw new StatorError(e?.code ?? 'internal', e?.message ?? 'the owner answered no data', {
    details: e?.details,
    recoverable: e?.recoverable ?? false,
  });
}

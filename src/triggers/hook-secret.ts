/**
 * The key of a webhook's secret, or why there is none. A literal secret is always there; a
 * `${{ env.NAME }}` one is read from the environment each time it is needed, and an unset or
 * empty variable makes the secret unavailable: the trigger reports state `error` with a
 * `secret_unavailable` error naming the variable (never a value), as a run whose secret is
 * missing does, and each call is refused with 503 `secret_unavailable`.
 * @module
 */
import { SecretUnavailableError, StatorError, toWire, type WireError } from '../errors.ts';
import { hookSecretEnv, resolveHookSecret } from '../workflow/index.ts';

/** Code, and `details.reason` of a refused call, of a webhook whose secret cannot be read. */
export const SECRET_UNAVAILABLE = 'secret_unavailable';

/** A hook's key, or the problem (as a trigger's `lastError`) that stands in for it. */
export type HookKey = { key: string } | { unavailable: WireError };

/** Resolves a declared secret (literal or `${{ env.NAME }}`) against `env`. */
export function hookKey(secret: string, env: Record<string, string | undefined>): HookKey {
  const key = resolveHookSecret(secret, env);
  if (key !== undefined) return { key };
  const variable = hookSecretEnv(secret) ?? '';
  const why = env[variable] === undefined ? 'is not set' : 'is empty';
  const missing = { name: 'http.secret', env: variable, reason: `${variable} ${why}` };
  return { unavailable: toWire(new SecretUnavailableError([missing])) };
}

/** The problem of a declared secret, or null when its key can be read. */
export function hookSecretProblem(
  secret: string,
  env: Record<string, string | undefined>,
): WireError | null {
  const resolved = hookKey(secret, env);
  return 'unavailable' in resolved ? resolved.unavailable : null;
}

/**
 * What a caller of a hook whose secret is unavailable gets: 503 `secret_unavailable`, with the
 * reason but not the variable's name (that is in the trigger's state, behind the API token).
 */
export function secretUnavailableError(): StatorError {
  return new StatorError(
    SECRET_UNAVAILABLE,
    "this webhook's secret is not available on the server; see the trigger's state",
    { details: { reason: SECRET_UNAVAILABLE } },
  );
}

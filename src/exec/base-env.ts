/**
 * The base environment of step and session processes: a few variables of this process that
 * programs expect (PATH, HOME, LANG, TZ, USER, SHELL) and the ones an operator names on purpose
 * (`STATOR_STEP_ENV_PASSTHROUGH`). Nothing else of this process's environment, so none of
 * Stator's own configuration (API token, NATS credentials, hook secrets) reaches a process.
 * @module
 */

/** Variables every step and session gets from this process when it has them. */
export const BASE_ENV_NAMES: readonly string[] = ['PATH', 'HOME', 'LANG', 'TZ', 'USER', 'SHELL'];

/** PATH of a process when this process has none. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Names a passthrough list may hold: environment variable names. */
export const PASSTHROUGH_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why a passthrough name is refused, or undefined when it is fine. */
export function passthroughNameProblem(name: string): string | undefined {
  if (!PASSTHROUGH_NAME_PATTERN.test(name)) {
    return `'${name}' is not an environment variable name (letters, digits and _)`;
  }
  if (name.toUpperCase().startsWith('STATOR_')) {
    return `'${name}': Stator's own configuration never reaches a step`;
  }
  return undefined;
}

/**
 * The base environment: BASE_ENV_NAMES and `passthrough` as `source` has them (PATH defaults
 * to DEFAULT_PATH). Read once by the caller; the result is frozen.
 */
export function baseEnvironment(
  passthrough: readonly string[] = [],
  source: Readonly<Record<string, string | undefined>> = process.env,
): Readonly<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const name of [...BASE_ENV_NAMES, ...passthrough]) {
    const value = source[name];
    if (value !== undefined) env[name] = value;
  }
  env.PATH ??= DEFAULT_PATH;
  return Object.freeze(env);
}

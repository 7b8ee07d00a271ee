/**
 * The secrets of one run: their values (steps receive them as environment variables) and the
 * masker of everything the run's steps print or report. Resolved once when the run starts in an
 * engine slot (and again when a restarted server adopts it); held only in memory, never stored.
 * @module
 */
import type { SecretSource } from '../workflow/index.ts';
import { resolveSecrets, type ResolveSecretsOptions } from './resolve-secrets.ts';
import { SecretMasker } from './secret-masker.ts';
import type { SecretRegistry } from './secret-registry.ts';

/** A run's resolved secrets. */
export interface RunSecrets {
  /** Values by name, as steps receive them. */
  env: Readonly<Record<string, string>>;
  /** Masks each value and its encodings. */
  masker: SecretMasker;
}

/**
 * Resolves a workflow's secrets for a run (a session's for a launch); rejects with
 * SecretUnavailableError.
 */
export type SecretResolver = (
  sources: Readonly<Record<string, SecretSource>>,
) => Promise<RunSecrets>;

/** Options of `createSecretResolver`. */
export interface SecretResolverOptions extends ResolveSecretsOptions {
  /** Where resolved values are registered so the service's own log masks them too. */
  registry?: SecretRegistry;
}

/** Builds the resolver the runtime uses when a run starts. */
export function createSecretResolver(options: SecretResolverOptions = {}): SecretResolver {
  return async function resolveRunSecrets(sources) {
    const env = Object.freeze(await resolveSecrets(sources, options));
    const values = Object.values(env);
    options.registry?.add(values);
    return { env, masker: new SecretMasker(values) };
  };
}

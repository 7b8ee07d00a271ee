/**
 * Secrets of workflows and sessions: resolved when a run starts (a session: at each launch) from
 * the server's environment or a file, handed to steps and session processes as environment
 * variables, masked (`***`) wherever text leaves the process.
 *
 * Exports:
 * - `resolveSecrets`, `ResolveSecretsOptions`, `DEFAULT_MAX_SECRET_FILE_BYTES`: resolution.
 * - `createSecretResolver`, `SecretResolver`, `RunSecrets`: a run's values and masker.
 * - `SecretMasker`, `MASK`, `secretForms`: masking of values and their encodings.
 * - `SecretRegistry`, `TextRedactor`: the values resolved so far, for the service's own log.
 * @module
 */
export { DEFAULT_MAX_SECRET_FILE_BYTES, resolveSecrets } from './resolve-secrets.ts';
export type { ResolveSecretsOptions } from './resolve-secrets.ts';
export { createSecretResolver } from './run-secrets.ts';
export type { RunSecrets, SecretResolver, SecretResolverOptions } from './run-secrets.ts';
export { MASK, SecretMasker } from './secret-masker.ts';
export type { SecretMaskerOptions } from './secret-masker.ts';
export { MIN_BASE64_SLICE, MIN_LINE_FRAGMENT, secretForms } from './secret-forms.ts';
export { MAX_REGISTERED_SECRETS, SecretRegistry } from './secret-registry.ts';
export type { TextRedactor } from './secret-registry.ts';

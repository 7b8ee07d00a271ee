/**
 * The secrets of one session: resolved at each launch, as a workflow's are when its run starts
 * (from the server's environment or a file, `src/secrets/`), handed to the process as
 * environment variables, and the masker of every line the session prints before it reaches the
 * log ring, an event or an error. Every value resolved while the session lives stays masked, so
 * a process started before a value changed is masked too. Values live in memory only.
 *
 * A launch an earlier server started (re-attach, resume, the output of a lost launch) has its
 * secrets resolved again; when that is no longer possible its values are unknown, so its output
 * is withheld (each line becomes `***`) until a launch resolves them again.
 * @module
 */
import { SecretUnavailableError } from '../errors.ts';
import { MASK, SecretMasker, type SecretResolver } from '../secrets/index.ts';
import type { SecretSource } from '../workflow/index.ts';

/** What a re-attach learns: the values (none when unavailable) and why not. */
export interface RecalledSecrets {
  env: Readonly<Record<string, string>>;
  /** Why they could not be resolved (a SecretUnavailableError, names only). */
  error: unknown;
}

/** Resolution and masking of one session's secrets. */
export class SessionSecrets {
  readonly #values = new Set<string>();
  #masker: SecretMasker | null = null;
  #withheld = false;
  #failure: SecretUnavailableError | null = null;

  constructor(
    private readonly sources: Readonly<Record<string, SecretSource>> | undefined,
    private readonly resolver: SecretResolver,
  ) {}

  /** Why the latest new launch could not start, if a secret was unavailable. */
  get failure(): SecretUnavailableError | null {
    return this.#failure;
  }

  /**
   * The values for a new launch; rejects with SecretUnavailableError naming each missing
   * variable or file (kept as `failure` until a launch resolves them).
   */
  async forLaunch(): Promise<Readonly<Record<string, string>>> {
    this.#failure = null;
    try {
      return await this.#resolve();
    } catch (err) {
      if (err instanceof SecretUnavailableError) this.#failure = err;
      throw err;
    }
  }

  /** The values of a launch an earlier server started; withholds its output when unavailable. */
  async recall(): Promise<RecalledSecrets> {
    try {
      return { env: await this.#resolve(), error: null };
    } catch (error) {
      this.#withheld = true;
      return { env: {}, error };
    }
  }

  /** `text` with every secret value (and its encodings) replaced by `***`. */
  mask(text: string): string {
    if (this.#withheld) return MASK;
    return this.#masker === null ? text : this.#masker.mask(text);
  }

  /** A launch failure as the session's `lastError`: `secret_unavailable: …`, else masked. */
  describe(err: unknown): string {
    if (err instanceof SecretUnavailableError) return `${err.code}: ${err.message}`;
    return this.mask(err instanceof Error ? err.message : String(err));
  }

  async #resolve(): Promise<Readonly<Record<string, string>>> {
    if (this.sources === undefined || Object.keys(this.sources).length === 0) return {};
    const { env } = await this.resolver(this.sources);
    let learnt = false;
    for (const value of Object.values(env)) {
      if (value === '' || this.#values.has(value)) continue;
      this.#values.add(value);
      learnt = true;
    }
    if (learnt || this.#masker === null) this.#masker = new SecretMasker(this.#values);
    this.#withheld = false;
    return env;
  }
}

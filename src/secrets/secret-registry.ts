/**
 * The secret values this process has resolved, for its own log: the logger (`createLogger`'s
 * `redactor`) passes every serialised line through `redact`, which masks each value and its
 * forms, also as they appear JSON-escaped. Values are kept after their run ends (a later log line
 * about the run is still masked), at most MAX_REGISTERED_SECRETS, oldest forgotten first.
 * @module
 */
import { SecretMasker } from './secret-masker.ts';

/** Distinct values kept for log redaction. */
export const MAX_REGISTERED_SECRETS = 1000;

/** Anything that masks serialised text (what the logger needs). */
export interface TextRedactor {
  redact(text: string): string;
}

/** The registry of resolved secret values. */
export class SecretRegistry implements TextRedactor {
  readonly #values = new Set<string>();
  #masker: SecretMasker | null = null;

  /** Values held. */
  get size(): number {
    return this.#values.size;
  }

  /** Registers values (empty strings are ignored). */
  add(values: Iterable<string>): void {
    for (const value of values) {
      if (value === '' || this.#values.has(value)) continue;
      this.#values.add(value);
      this.#masker = null;
      if (this.#values.size > MAX_REGISTERED_SECRETS) {
        this.#values.delete(this.#values.values().next().value!);
      }
    }
  }

  /** `text` with every registered value (and its forms, JSON-escaped too) masked. */
  redact = (text: string): string => {
    if (this.#values.size === 0) return text;
    this.#masker ??= new SecretMasker(this.#values, { json: true });
    return this.#masker.mask(text);
  };
}

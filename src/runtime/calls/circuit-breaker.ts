/**
 * Per-host circuit breakers of `http` steps, shared by every run of the service. A host (an
 * origin: scheme, host and port) whose calls fail `failures` times in a row (no connection,
 * no reply in time, a 5xx) is *open* for `coolDownMs`: calls to it fail fast with
 * `circuit_open` instead of piling up. Then it is *half-open*: one trial call goes through
 * (others still fail fast); its success closes the breaker, its failure opens it for another
 * cool-down. Any reply below 500 counts as a success (the host answers). A call stopped by its
 * step (cancel, step timeout) counts for nothing. Time comes from the clock seam.
 *
 * Entries exist only for hosts with failures; at most `maxHosts` are kept (the oldest closed
 * ones are forgotten first), so the map stays bounded whatever URLs steps call.
 * @module
 */
import type { Clock } from '../../clock.ts';
import { InvalidArgumentError } from '../../errors.ts';

/** Settings of the breakers. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open a host's breaker (0 turns breakers off). @default 5 */
  failures?: number;
  /** How long an open breaker fails calls fast, ms. @default 30000 */
  coolDownMs?: number;
  /** Hosts tracked at most. @default 10000 */
  maxHosts?: number;
}

/** Settings after defaults and checks. */
export type ResolvedCircuitBreakerOptions = Required<CircuitBreakerOptions>;

/** Default of `CircuitBreakerOptions.failures`. */
export const DEFAULT_CIRCUIT_FAILURES = 5;
/** Default of `CircuitBreakerOptions.coolDownMs`. */
export const DEFAULT_CIRCUIT_COOL_DOWN_MS = 30_000;
const DEFAULT_MAX_HOSTS = 10_000;

/** Defaults merged and checked; InvalidArgumentError naming the field otherwise. */
export function resolveCircuitBreakerOptions(
  input: CircuitBreakerOptions = {},
): ResolvedCircuitBreakerOptions {
  const out = {
    failures: input.failures ?? DEFAULT_CIRCUIT_FAILURES,
    coolDownMs: input.coolDownMs ?? DEFAULT_CIRCUIT_COOL_DOWN_MS,
    maxHosts: input.maxHosts ?? DEFAULT_MAX_HOSTS,
  };
  const issues = [];
  if (!Number.isInteger(out.failures) || out.failures < 0 || out.failures > 1000) {
    issues.push({ path: 'circuitBreaker.failures', message: 'must be an integer from 0 to 1000' });
  }
  if (!Number.isInteger(out.coolDownMs) || out.coolDownMs < 1 || out.coolDownMs > 86_400_000) {
    issues.push({ path: 'circuitBreaker.coolDownMs', message: 'must be from 1 ms to 1 day' });
  }
  if (!Number.isInteger(out.maxHosts) || out.maxHosts < 1) {
    issues.push({ path: 'circuitBreaker.maxHosts', message: 'must be a positive integer' });
  }
  if (issues.length > 0) throw InvalidArgumentError.format(issues);
  return out;
}

/** What `admit` says of a call. */
export type Admission =
  | { allowed: true; /** The half-open trial: its outcome decides. */ trial: boolean }
  | {
      allowed: false;
      /** When the cool-down ends (ms since the epoch). */ until: number;
      failures: number;
    };

/** How a call went, for its host's breaker. */
export type CallHealth = 'up' | 'down' | 'none';

/** A change of a host's breaker, to report as an event. */
export type CircuitChange =
  | { type: 'opened'; host: string; failures: number; until: number }
  | { type: 'closed'; host: string };

interface HostState {
  failures: number;
  /** Set while open (including half-open once it has passed). */
  openUntil?: number;
  trialInFlight: boolean;
}

/** The breakers of every host. */
export class CircuitBreakers {
  readonly #hosts = new Map<string, HostState>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    readonly options: ResolvedCircuitBreakerOptions,
  ) {}

  /** May a call to `host` go now? */
  admit(host: string): Admission {
    const s = this.#hosts.get(host);
    if (this.options.failures === 0 || s?.openUntil === undefined) {
      return { allowed: true, trial: false };
    }
    if (this.clock.now() < s.openUntil || s.trialInFlight) {
      return { allowed: false, until: s.openUntil, failures: s.failures };
    }
    s.trialInFlight = true;
    return { allowed: true, trial: true };
  }

  /** Records how an admitted call went; the breaker's change, if any. */
  record(
    host: string,
    admission: { trial: boolean },
    health: CallHealth,
  ): CircuitChange | undefined {
    if (this.options.failures === 0) return undefined;
    const s = this.#hosts.get(host);
    if (health === 'none') {
      if (s && admission.trial) s.trialInFlight = false;
      return undefined;
    }
    if (health === 'up') {
      if (!s) return undefined;
      this.#hosts.delete(host);
      return s.openUntil === undefined ? undefined : { type: 'closed', host };
    }
    const state = s ?? this.#add(host);
    state.failures++;
    if (
      admission.trial ||
      (state.openUntil === undefined && state.failures >= this.options.failures)
    ) {
      state.trialInFlight = false;
      state.openUntil = this.clock.now() + this.options.coolDownMs;
      return { type: 'opened', host, failures: state.failures, until: state.openUntil };
    }
    return undefined;
  }

  /** Hosts whose breaker is open now (for tests and health). */
  openHosts(): string[] {
    return [...this.#hosts].filter(([, s]) => s.openUntil !== undefined).map(([h]) => h);
  }

  #add(host: string): HostState {
    if (this.#hosts.size >= this.options.maxHosts) {
      for (const [h, s] of this.#hosts) {
        if (s.openUntil === undefined) {
          this.#hosts.delete(h);
          break;
        }
      }
      // All open: forget the oldest anyway (the map's order is insertion order).
      if (this.#hosts.size >= this.options.maxHosts) {
        this.#hosts.delete(this.#hosts.keys().next().value!);
      }
    }
    const state: HostState = { failures: 0, trialInFlight: false };
    this.#hosts.set(host, state);
    return state;
  }
}

/**
 * Discovery for the command API in the NATS "micro" service protocol, so standard tooling
 * (`nats micro list|info|stats`) finds Stator's endpoints and their stats. Implemented over the
 * Bus rather than with @nats-io/services, whose only release is a prerelease pinned to an
 * older prerelease of nats-core than the client we ship.
 * Subjects: `$SRV.<VERB>`, `$SRV.<VERB>.<name>`, `$SRV.<VERB>.<name>.<id>` for PING, INFO, STATS,
 * built by the bus's SubjectSpace; the name is the deployment prefix, so `nats micro ls` tells
 * deployments on one server apart.
 * @module
 */
import type { Bus, BusSubscription } from '../bus/index.ts';

/** One endpoint's counters. */
export interface EndpointStats {
  name: string;
  subject: string;
  queue_group: string;
  num_requests: number;
  num_errors: number;
  last_error: string;
  /** Total processing time, nanoseconds. */
  processing_time: number;
  average_processing_time: number;
}

/** Identity of the service. */
export interface MicroServiceInfo {
  name: string;
  id: string;
  version: string;
  description: string;
  metadata?: Record<string, string>;
}

/** Endpoint registry with stats and the discovery responders. */
export class MicroService {
  readonly #endpoints = new Map<string, EndpointStats>();
  readonly #subs: BusSubscription[] = [];
  readonly #started = new Date().toISOString();

  constructor(
    private readonly bus: Bus,
    readonly info: MicroServiceInfo,
  ) {}

  /** Declares an endpoint and returns its stats record. */
  addEndpoint(name: string, subject: string, queueGroup: string): EndpointStats {
    const stats: EndpointStats = {
      name,
      subject,
      queue_group: queueGroup,
      num_requests: 0,
      num_errors: 0,
      last_error: '',
      processing_time: 0,
      average_processing_time: 0,
    };
    this.#endpoints.set(name, stats);
    return stats;
  }

  /** Records one handled request. */
  record(stats: EndpointStats, elapsedMs: number, error?: string): void {
    stats.num_requests++;
    stats.processing_time += Math.round(elapsedMs * 1e6);
    stats.average_processing_time = Math.round(stats.processing_time / stats.num_requests);
    if (error !== undefined) {
      stats.num_errors++;
      stats.last_error = error;
    }
  }

  /** Starts answering PING, INFO and STATS. */
  start(): void {
    for (const verb of ['PING', 'INFO', 'STATS'] as const) {
      for (const subject of this.bus.subjects.micro.subjects(verb, this.info.id)) {
        this.#subs.push(this.bus.subscribe(subject, (msg) => msg.respond(this.#answer(verb))));
      }
    }
  }

  /** Stops answering. */
  stop(): void {
    for (const sub of this.#subs.splice(0)) sub.unsubscribe();
  }

  /** Current stats of every endpoint. */
  stats(): EndpointStats[] {
    return [...this.#endpoints.values()].map((e) => ({ ...e }));
  }

  #answer(verb: 'PING' | 'INFO' | 'STATS'): Record<string, unknown> {
    const { name, id, version, description, metadata = {} } = this.info;
    const base = { name, id, version, metadata };
    if (verb === 'PING') return { type: 'io.nats.micro.v1.ping_response', ...base };
    if (verb === 'INFO') {
      return {
        type: 'io.nats.micro.v1.info_response',
        ...base,
        description,
        endpoints: [...this.#endpoints.values()].map((e) => ({
          name: e.name,
          subject: e.subject,
          queue_group: e.queue_group,
          metadata: null,
        })),
      };
    }
    return {
      type: 'io.nats.micro.v1.stats_response',
      ...base,
      started: this.#started,
      endpoints: this.stats(),
    };
  }
}

/**
 * The lease bucket as the lease manager sees it: revision-checked writes that answer
 * `undefined` (someone else wrote first) instead of throwing, reads, and one watch of every key.
 * `openLeaseKv` builds it on a JetStream KV bucket (created when missing); any other failure
 * (NATS unreachable) throws, and the manager treats it as "unknown, try again".
 * @module
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, JetStreamApiCodes, JetStreamApiError, StorageType } from '@nats-io/jetstream';
import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import { decodeLease, type LeaseEntry } from './lease-records.ts';
import { leaseBucketName, leaseKeys, parseLeaseKey } from './lease-names.ts';

/** The lease bucket. */
export interface LeaseKv {
  /** Writes `value` if `key` is absent or deleted; undefined when it exists. */
  create(key: string, value: object): Promise<number | undefined>;
  /** Writes `value` if `key` is at `revision`; undefined when it is not. */
  update(
    key: string,
    value: object,
    revision: number,
    timeoutMs?: number,
  ): Promise<number | undefined>;
  /** The entry of `key`, undefined when absent, deleted or not a lease. */
  get(key: string): Promise<LeaseEntry | undefined>;
  /** Deletes `key` if it is at `revision`; false when it is not. */
  delete(key: string, revision: number): Promise<boolean>;
  /** Calls `onEntry` with every current entry, then every change; resolves with a stop. */
  watch(onEntry: (entry: LeaseEntry) => void): Promise<() => void>;
}

/** Options of the JetStream lease bucket. */
export interface LeaseKvOptions {
  connection: NatsConnection;
  /** The deployment's prefix (`--nats-prefix`). */
  prefix: string;
  /** Replicas of the bucket. @default 1 */
  replicas?: number;
}

/** Opens (creating when missing) the lease bucket of `prefix`. */
export async function openLeaseKv(opts: LeaseKvOptions): Promise<LeaseKv> {
  const kv = await new Kvm(jetstream(opts.connection)).create(leaseBucketName(opts.prefix), {
    history: 1,
    replicas: opts.replicas ?? 1,
    storage: StorageType.File,
  });
  return new JetStreamLeaseKv(kv);
}

const encoder = new TextEncoder();

class JetStreamLeaseKv implements LeaseKv {
  constructor(private readonly kv: KV) {}

  async create(key: string, value: object): Promise<number | undefined> {
    return conflictIsUndefined(() => this.kv.create(key, encoder.encode(JSON.stringify(value))));
  }

  async update(
    key: string,
    value: object,
    revision: number,
    timeoutMs?: number,
  ): Promise<number | undefined> {
    return conflictIsUndefined(() =>
      this.kv.update(key, encoder.encode(JSON.stringify(value)), revision, timeoutMs),
    );
  }

  async get(key: string): Promise<LeaseEntry | undefined> {
    const entry = await this.kv.get(key);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const decoded = toLeaseEntry(entry);
    return decoded?.kind === 'deleted' ? undefined : decoded;
  }

  async delete(key: string, revision: number): Promise<boolean> {
    const done = await conflictIsUndefined(async () => {
      await this.kv.delete(key, { previousSeq: revision });
      return 0;
    });
    return done !== undefined;
  }

  async watch(onEntry: (entry: LeaseEntry) => void): Promise<() => void> {
    const iter = await this.kv.watch({ key: leaseKeys.all });
    void (async () => {
      for await (const e of iter) {
        const decoded = toLeaseEntry(e);
        if (decoded) onEntry(decoded);
      }
    })();
    return () => iter.stop();
  }
}

function toLeaseEntry(e: KvEntry): LeaseEntry | undefined {
  if (e.operation !== 'PUT') return { kind: 'deleted', key: e.key, revision: e.revision };
  const parsed = parseLeaseKey(e.key);
  if (!parsed) return undefined;
  const value = decodeLease(parsed.kind, e.value);
  if (!value) return undefined;
  return { kind: parsed.kind, key: e.key, revision: e.revision, value } as LeaseEntry;
}

/** A revision mismatch answers undefined; every other failure is thrown. */
async function conflictIsUndefined(write: () => Promise<number>): Promise<number | undefined> {
  try {
    return await write();
  } catch (err) {
    if (
      err instanceof JetStreamApiError &&
      (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
        err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
    ) {
      return undefined;
    }
    throw err;
  }
}

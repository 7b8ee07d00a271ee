/**
 * The flow bucket (`<prefix>_flow`, subjects.ts) as the cluster flow gate sees it: one JSON
 * document per workflow and key (flow-docs.ts), read with its revision and written only with a
 * revision check (`create` when absent, `update` at the revision read, `delete` at it), so two
 * nodes never both apply a change to the same state; a lost race answers `false` and the caller
 * reads again. One watch of every key keeps each node's view (and its timers) current.
 * @module
 */
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, StorageType } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { subjectSpace } from '../../bus/index.ts';
import { parseFlowDoc, type FlowDoc } from './flow-docs.ts';
import { isKvConflict } from '../../store/index.ts';

/** One document with the revision it was read at (0: absent). */
export interface FlowEntry {
  key: string;
  revision: number;
  doc: FlowDoc | undefined;
}

/** The flow bucket. */
export interface FlowKv {
  get(key: string): Promise<FlowEntry>;
  /** Writes `doc` (or deletes the key when `doc` is undefined) if `key` is still at `revision`. */
  write(key: string, doc: FlowDoc | undefined, revision: number): Promise<boolean>;
  /** Every current entry, then every change; resolves with a stop. */
  watch(onEntry: (entry: FlowEntry) => void): Promise<() => void>;
}

/** Options of the JetStream flow bucket. */
export interface FlowKvOptions {
  connection: NatsConnection;
  prefix: string;
  /** Replicas of the bucket (as every other bucket of the deployment). @default 1 */
  replicas?: number;
}

/** Opens (creating when missing) the flow bucket of `prefix`. */
export async function openFlowKv(opts: FlowKvOptions): Promise<FlowKv> {
  const kv = await new Kvm(jetstream(opts.connection)).create(
    subjectSpace(opts.prefix).buckets.flow,
    { history: 1, replicas: opts.replicas ?? 1, storage: StorageType.File },
  );
  return new JetStreamFlowKv(kv);
}

const encoder = new TextEncoder();

class JetStreamFlowKv implements FlowKv {
  constructor(private readonly kv: KV) {}

  async get(key: string): Promise<FlowEntry> {
    const e = await this.kv.get(key);
    if (!e) return { key, revision: 0, doc: undefined };
    return {
      key,
      revision: e.revision,
      doc: e.operation === 'PUT' ? parseFlowDoc(e.value) : undefined,
    };
  }

  async write(key: string, doc: FlowDoc | undefined, revision: number): Promise<boolean> {
    try {
      if (doc === undefined) {
        if (revision === 0) return true;
        await this.kv.delete(key, { previousSeq: revision });
      } else {
        const data = encoder.encode(JSON.stringify(doc));
        // A deleted key has a revision (its delete marker): update at it, as create would.
        if (revision === 0) await this.kv.create(key, data);
        else await this.kv.update(key, data, revision);
      }
      return true;
    } catch (err) {
      if (isKvConflict(err)) return false;
      throw err;
    }
  }

  async watch(onEntry: (entry: FlowEntry) => void): Promise<() => void> {
    const iter = await this.kv.watch({ key: '>' });
    void (async () => {
      for await (const e of iter) {
        onEntry({
          key: e.key,
          revision: e.revision,
          doc: e.operation === 'PUT' ? parseFlowDoc(e.value) : undefined,
        });
      }
    })();
    return () => iter.stop();
  }
}

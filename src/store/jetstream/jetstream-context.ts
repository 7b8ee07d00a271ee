/**
 * Opening the JetStream store: the KV buckets (created when missing, bound otherwise), the
 * logs stream with the configured per-step bound, and the revision-checked views over the
 * buckets that the workflow, execution and log code share.
 * @module
 */
import {
  jetstream,
  jetstreamManager,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { UnavailableError } from '../../errors.ts';
import { ensureLogStream } from './jetstream-logs.ts';
import { storeNames, type StoreNames } from './jetstream-names.ts';
import type { ResolvedJetStreamStoreOptions } from './jetstream-options.ts';
import { createRevisionedKv, type RevisionedKv } from './jetstream-revisions.ts';

/** Everything the store's parts share. */
export interface JetStreamContext {
  opts: ResolvedJetStreamStoreOptions;
  names: StoreNames;
  js: JetStreamClient;
  jsm: JetStreamManager;
  workflows: RevisionedKv;
  executions: RevisionedKv;
  steps: RevisionedKv;
  /** Index entries are empty keys, written blindly and deleted as raw messages. */
  index: KV;
  /** Trigger states (plain puts: last write wins, as in the other stores). */
  triggers: KV;
  /** Idempotency claims, kept at most IDEMPOTENCY_BUCKET_MAX_AGE_MS after their last write. */
  idempotency: KV;
  /** Session records (plain puts: last write wins). */
  sessions: KV;
}

/**
 * Hard bound on how long the idempotency bucket keeps a claim (its max_age): claims carry their
 * own expiry, and this removes the ones nobody claims again. 7 days.
 */
export const IDEMPOTENCY_BUCKET_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** Creates or binds every bucket and stream of `opts.prefix`. */
export async function openJetStreamContext(
  opts: ResolvedJetStreamStoreOptions,
): Promise<JetStreamContext> {
  const nc = opts.connection;
  const names = storeNames(opts.prefix);
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc);
  } catch (err) {
    throw new UnavailableError(
      `jetstream store: JetStream is not available on this server (${(err as Error).message})`,
      err,
    );
  }
  const js = jetstream(nc);
  const kvm = new Kvm(js);
  const bucketOpts = {
    history: 1,
    replicas: opts.replicas,
    storage: opts.storage === 'memory' ? StorageType.Memory : StorageType.File,
  };
  const { workflows, executions, steps, index, triggers, idempotency, sessions } = names.buckets;
  const [wf, ex, st, ix, tr, ses, idem] = await Promise.all([
    ...[workflows, executions, steps, index, triggers, sessions].map((b) =>
      kvm.create(b, bucketOpts),
    ),
    kvm.create(idempotency, { ...bucketOpts, ttl: IDEMPOTENCY_BUCKET_MAX_AGE_MS }),
  ]);
  await ensureLogStream(jsm, names, opts, opts);
  const revisioned = (kv: KV) =>
    createRevisionedKv(kv, {
      cacheEntries: opts.cacheEntries,
      maxAttempts: opts.maxUpdateAttempts,
    });
  return {
    opts,
    names,
    js,
    jsm,
    workflows: revisioned(wf!),
    executions: revisioned(ex!),
    steps: revisioned(st!),
    index: ix!,
    triggers: tr!,
    idempotency: idem!,
    sessions: ses!,
  };
}

/**
 * The cluster work queue's JetStream objects: one work-queue stream holding a subject per
 * priority (`<prefix>.work.<pool>` for the default 3, `<prefix>.work.<pool>.<n>` for the others)
 * and one durable pull consumer per priority shared by every process. The default priority keeps
 * the names of releases before priorities, so a stream made by one of them is extended in place
 * and what it holds is still taken.
 * @module
 */
import { nanos } from '@nats-io/transport-node';
import {
  AckPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
} from '@nats-io/jetstream';
import type { SubjectSpace } from '../../bus/index.ts';
import { PRIORITIES } from './priority.ts';

/** Where one priority's requests go and who takes them. */
export interface WorkLaneNames {
  priority: number;
  subject: string;
  durable: string;
}

/** What the stream is made with. */
export interface WorkStreamSpec {
  names: SubjectSpace;
  pool: string;
  stream: string;
  limit: number;
  replicas: number;
  ackWaitMs: number;
}

/** The names of every lane, highest priority first. */
export function workLanes(names: SubjectSpace, pool: string): WorkLaneNames[] {
  return PRIORITIES.map((priority) => ({
    priority,
    subject: names.workSubject(pool, priority),
    durable: names.durables.work(pool, priority),
  }));
}

/** Creates (or extends) the stream and every lane's consumer; answers the lanes. */
export async function ensureWorkStream(
  jsm: JetStreamManager,
  spec: WorkStreamSpec,
): Promise<WorkLaneNames[]> {
  const lanes = workLanes(spec.names, spec.pool);
  const subjects = lanes.map((l) => l.subject);
  const config = {
    name: spec.stream,
    subjects,
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    max_msgs: spec.limit,
    num_replicas: spec.replicas,
  };
  try {
    await jsm.streams.info(spec.stream);
    await jsm.streams.update(spec.stream, {
      subjects,
      max_msgs: config.max_msgs,
      discard: config.discard,
      num_replicas: config.num_replicas,
    });
  } catch {
    await jsm.streams.add(config);
  }
  for (const lane of lanes) {
    try {
      await jsm.consumers.info(spec.stream, lane.durable);
    } catch {
      await jsm.consumers.add(spec.stream, {
        durable_name: lane.durable,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(spec.ackWaitMs),
        filter_subject: lane.subject,
        max_ack_pending: -1,
      });
    }
  }
  return lanes;
}

/**
 * Cluster mode: the monitor reads the JetStream event stream, so events carry their stream
 * sequence; a resume older than the monitor's recent ring is served from the stream — exactly
 * the events missed, in order, no gap — and a resume into a range the stream no longer holds is
 * announced as a gap before what it still has. Real nats-server, cluster seams of connectCluster.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator, type Stator } from '../../../src/index.ts';
import type { StampedEvent } from '../../../src/events.ts';
import type { EventGap } from '../../../src/runtime/types.ts';
import { connectCluster, type ClusterSeams } from '../../../src/runtime/cluster.ts';
import { MonitorHub, createJetStreamEventStream } from '../../../src/monitor/index.ts';
import { deleteClusterStreams } from '../../fixtures/cluster/jetstream-cleanup.ts';
import { DIAMOND_WORKFLOW } from '../../fixtures/runtime/workflows.ts';
import { startNatsServer, uniquePrefix, type NatsServer } from '../../helpers/nats-server.ts';
import { waitFor } from '../../helpers/poll.ts';

const SLOW = { timeout: 60_000 };
const logger = pino({ level: 'silent' });

let server: NatsServer;
let seams: ClusterSeams;
let stator: Stator;
const prefix = uniquePrefix('jsr');
const all: StampedEvent[] = [];

beforeAll(async () => {
  server = await startNatsServer({ private: true });
  seams = await connectCluster({ url: server.url, name: 'jsr-1', prefix, logger });
  stator = await createStator({
    bus: seams.bus,
    store: seams.store,
    workQueue: seams.workQueue,
    node: 'jsr-1',
    shutdownGraceMs: 0,
    // A tiny ring, so that resumes reach past it into the stream.
    monitor: {
      recentEvents: 4,
      stream: createJetStreamEventStream({ connection: seams.bus.connection, prefix, batch: 8 }),
    },
  });
  stator.subscribe((e) => void all.push(e), { bufferSize: 100_000, name: 'reference' });
  await stator.registerWorkflow(DIAMOND_WORKFLOW);
}, 30_000);

afterAll(async () => {
  await stator?.close();
  await seams?.close();
  await deleteClusterStreams(server.url, [prefix]).catch(() => undefined);
  await server?.stop();
});

/** Subscribes with `since` and collects until `count` events arrived. */
async function resume(
  since: number,
  filter: Record<string, string>,
  count: number,
): Promise<{ events: StampedEvent[]; gaps: EventGap[] }> {
  const events: StampedEvent[] = [];
  const gaps: EventGap[] = [];
  const sub = stator.subscribe((e) => void events.push(e), {
    filter,
    since,
    onGap: (g) => void gaps.push(g),
  });
  try {
    await waitFor(() => events.length >= count, { timeoutMs: 20_000 });
  } finally {
    sub.unsubscribe();
  }
  return { events, gaps };
}

describe('resume from the JetStream event stream', () => {
  it('replays exactly the missed events of a run, past the recent ring', SLOW, async () => {
    const { executionId } = await stator.execute('diamond');
    await stator.waitForExecution(executionId, { timeoutMs: 30_000 });
    await waitFor(() => all.some((e) => e.type === 'execution.completed'));
    await seams.bus.flush();
    const run = all.filter((e) => (e as { executionId?: string }).executionId === executionId);
    expect(run.length).toBeGreaterThan(8);
    // As a client that saw the run's first three events would resume.
    const since = run[2]!.seq;
    const expected = run.slice(3).map((e) => e.seq);
    const got = await resume(since, { executionId }, expected.length);
    expect(got.events.map((e) => e.seq)).toEqual(expected);
    expect(got.gaps).toEqual([]);

    // The same through a kind filter (a subject filter on the stream): engines' events.
    const engine = all.filter((e) => e.source.startsWith('engine.'));
    const fromEngine = engine[0]!.seq - 1;
    const gotEngine = await resume(fromEngine, { kind: 'engine' }, engine.length);
    expect(gotEngine.events.map((e) => e.seq)).toEqual(engine.map((e) => e.seq));
  });

  it(
    'announces a gap when the stream no longer holds the range, then replays what it has',
    SLOW,
    async () => {
      // Retention has dropped everything so far (as `maxAge`/`maxMsgs` would, in time).
      const jsm = await jetstreamManager(seams.bus.connection);
      await jsm.streams.purge(`${prefix}_events`);
      const { executionId } = await stator.execute('diamond');
      await stator.waitForExecution(executionId, { timeoutMs: 30_000 });
      await waitFor(() =>
        all.some(
          (e) =>
            e.type === 'execution.completed' &&
            (e as { executionId?: string }).executionId === executionId,
        ),
      );
      await seams.bus.flush();
      const run = all.filter((e) => (e as { executionId?: string }).executionId === executionId);
      const got = await resume(0, { executionId }, run.length);
      expect(got.gaps).toHaveLength(1);
      expect(got.gaps[0]).toMatchObject({ since: 0, reason: 'evicted' });
      expect(got.events.map((e) => e.seq)).toEqual(run.map((e) => e.seq));
    },
  );

  it('a monitor whose stream does not exist shows its own process', SLOW, async () => {
    const stream = createJetStreamEventStream({
      connection: seams.bus.connection,
      prefix: uniquePrefix('none'),
    });
    const hub = new MonitorHub(logger, { stream });
    try {
      await hub.start();
      expect(hub.streamed).toBe(false);
    } finally {
      hub.stop();
    }
  });
});

/**
 * STATOR_INSPECT: a real WebSocket server stands in for Stately's inspector. Actor and
 * snapshot events of the engines, runs and steps arrive as @statelyai/inspect's wire events
 * with bounded contexts; an inspector that is not there at start, or goes away and comes back
 * on the same port, never fails a run, and the stream resumes; close() leaves nothing running.
 */
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import { waitFor } from '../../helpers/poll.ts';

interface WireEvent {
  type: string;
  sessionId?: string;
  snapshot?: { value?: unknown; context?: Record<string, unknown> };
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

function inspectorServer(port: number) {
  const received: WireEvent[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  wss.on('connection', (ws) =>
    ws.on('message', (data) => received.push(JSON.parse(String(data)) as WireEvent)),
  );
  return {
    received,
    ready: new Promise<void>((r) => wss.on('listening', r)),
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const flow = {
  id: 'inspected',
  steps: [
    { id: 'a', run: 'echo one' },
    { id: 'b', needs: ['a'], run: 'echo two' },
  ],
};

describe('Stately inspector stream', () => {
  it(
    'streams actor and snapshot events, survives the inspector going away and resumes',
    { timeout: 60_000 },
    async () => {
      const port = await freePort();
      let inspector = inspectorServer(port);
      await inspector.ready;
      cleanups.push(() => inspector.close());
      const stator: Stator = await createStator({
        store: 'memory',
        rehydrate: false,
        inspect: `ws://127.0.0.1:${port}`,
      });
      cleanups.push(() => stator.close());
      await stator.registerWorkflow(flow);
      const first = await stator.execute('inspected', {});
      expect((await stator.waitForExecution(first.executionId, { timeoutMs: 15_000 })).status).toBe(
        'completed',
      );
      await waitFor(
        () =>
          inspector.received.some(
            (e) =>
              e.type === '@xstate.snapshot' &&
              JSON.stringify(e.snapshot?.value ?? null).includes('succeeded'),
          ) || undefined,
        { timeoutMs: 10_000 },
      );
      const types = new Set(inspector.received.map((e) => e.type));
      expect(types.has('@xstate.actor')).toBe(true);
      expect(types.has('@xstate.event')).toBe(true);
      for (const e of inspector.received) {
        if (e.snapshot?.context)
          expect(JSON.stringify(e.snapshot.context).length).toBeLessThan(64 * 1024);
      }

      // The inspector goes away: runs go on.
      await inspector.close();
      const second = await stator.execute('inspected', {});
      expect(
        (await stator.waitForExecution(second.executionId, { timeoutMs: 15_000 })).status,
      ).toBe('completed');

      // It comes back on the same port: the stream resumes with the next run's events.
      inspector = inspectorServer(port);
      await inspector.ready;
      await waitFor(
        async () => {
          const run = await stator.execute('inspected', {});
          await stator.waitForExecution(run.executionId, { timeoutMs: 15_000 });
          return inspector.received.some((e) => e.type === '@xstate.snapshot') || undefined;
        },
        { timeoutMs: 20_000, intervalMs: 500 },
      );
    },
  );

  it('starts and runs with no inspector listening', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const stator = await createStator({
      store: 'memory',
      rehydrate: false,
      inspect: `ws://127.0.0.1:${port}`,
    });
    cleanups.push(() => stator.close());
    await stator.registerWorkflow(flow);
    const run = await stator.execute('inspected', {});
    expect((await stator.waitForExecution(run.executionId, { timeoutMs: 15_000 })).status).toBe(
      'completed',
    );
  });
});

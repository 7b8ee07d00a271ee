/**
 * The shutdown over a real process host: an engine whose stop aborts a real `sleep 30` spawned
 * through the host runner (as stopping a step actor does). Left to the host, the process lives
 * on and the host still holds it for the next start; stopping processes kills it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { HostClient } from '../../../../src/host/index.ts';
import type { ProcessResult } from '../../../../src/exec/index.ts';
import { Shutdown, type Engine } from '../../../../src/runtime/service/index.ts';
import type { ShutdownContext } from '../../../../src/runtime/service/index.ts';
import { systemClock } from '../../../../src/clock.ts';
import { waitFor } from '../../../helpers/poll.ts';
import { isGone, waitGone } from '../../../fixtures/exec/process-tracker.ts';
import { hostFixture, type HostFixture } from '../../host/host-fixture.ts';

const KEY = 'step:ex1:a:1';

/** An engine whose stop aborts `controller` (the step actors' attempts), once. */
function abortingEngine(controller: AbortController): Engine {
  let status = 'active';
  const actor = {
    getSnapshot: () => ({ status }),
    send: (event: { type: string }) => {
      if (event.type !== 'stop') return;
      status = 'done';
      controller.abort();
    },
    subscribe: () => undefined,
  };
  return { id: 'e1', slots: 1, actor: actor as never };
}

function context(host: HostClient, controller: AbortController): ShutdownContext {
  return {
    stopIntake: () => undefined,
    triggers: { close: () => undefined },
    sessions: { close: async () => undefined },
    queue: { close: async () => undefined },
    engines: [abortingEngine(controller)],
    graceMs: 60_000,
    runner: host,
    host,
    runningSteps: () => [
      { executionId: 'ex1', workflowId: 'wf', stepId: 'a', attempt: 1, lostAttempts: 0 },
    ],
    pipeline: {
      drain: async () => undefined,
      stopTimers: () => undefined,
      freeze: () => undefined,
      emitExecution: () => undefined,
    },
    monitor: { stop: () => undefined },
    clock: systemClock,
    release: async () => undefined,
    logger: pino({ level: 'silent' }),
  };
}

describe('Shutdown over a real process host', () => {
  let fx: HostFixture;
  beforeEach(() => {
    fx = hostFixture();
  });
  afterEach(async () => {
    await fx.cleanup();
  });

  async function startSleep(host: HostClient) {
    const controller = new AbortController();
    let pid: number | undefined;
    const result: Promise<ProcessResult> = host.run({
      argv: ['sleep', '30'],
      key: KEY,
      signal: controller.signal,
      onSpawn: (p) => (pid = p),
    });
    result.catch(() => undefined);
    await waitFor(() => pid !== undefined, { timeoutMs: 10_000, message: 'no spawn' });
    return { controller, pid: pid!, result };
  }

  it('leaves a running step process to the host: the abort after the detach kills nothing', async () => {
    const host = await fx.connect();
    const { controller, pid, result } = await startSleep(host);
    await new Shutdown(context(host, controller)).close();
    expect(controller.signal.aborted).toBe(true);
    await expect(result).rejects.toMatchObject({ code: 'unavailable', recoverable: true });
    // Give a cancel that got through time to act (kill grace 300 ms): none did.
    await new Promise((r) => setTimeout(r, 800));
    expect(isGone(pid), `step process ${pid}`).toBe(false);
    const again = await fx.connect({ startIfMissing: false });
    expect(again.hostPid).toBe(host.hostPid);
    const held = (await again.list()).find((p) => p.key === KEY);
    expect(held).toMatchObject({ state: 'running', pid });
  });

  it('stopping processes cancels it through the host and waits for its exit', async () => {
    const host = await fx.connect();
    const { controller, pid, result } = await startSleep(host);
    await new Shutdown(context(host, controller)).close({ stopProcesses: true });
    expect(await result).toMatchObject({ cancelled: true });
    expect(await waitGone(pid, 5000), `step process ${pid}`).toBe(true);
  });
});

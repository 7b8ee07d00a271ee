/**
 * In a cluster a session's record is written only while this node holds its lease: once the
 * lease is lost (another node claimed the session while this one was frozen), what the stale
 * copy goes through (its process stopped or crashed) is not recorded over the new owner's
 * record. While the lease is uncertain the write waits for the answer.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../src/clock.ts';
import { createSessionManager, type LocalSessionManager } from '../../../src/sessions/index.ts';
import { createMemoryStore } from '../../../src/store/index.ts';
import { ProcessTracker } from '../../fixtures/exec/process-tracker.ts';
import { waitFor } from '../../helpers/poll.ts';

const REPL = [
  'sh',
  join(fileURLToPath(new URL('../../fixtures/sessions/', import.meta.url)), 'echo-repl.sh'),
];

const opened: Array<{ manager: LocalSessionManager; tracker: ProcessTracker }> = [];
afterEach(async () => {
  for (const o of opened.splice(0)) {
    await o.manager.close({ stopProcesses: true });
    o.tracker.killSurvivors();
  }
});

describe('session records in a cluster', () => {
  it('are not written once the lease is lost, and wait while it is uncertain', async () => {
    const store = createMemoryStore();
    let standing: 'valid' | 'uncertain' | 'lost' = 'valid';
    let answer: (() => void) | undefined;
    const manager = createSessionManager({
      store,
      emit: () => undefined,
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      node: 'n1',
      options: { killGraceMs: 300, quietMs: 200 },
      leases: {
        acquire: () => Promise.resolve('acquired'),
        release: () => undefined,
        confirm: async () => {
          if (standing === 'uncertain') await new Promise<void>((r) => (answer = r));
          return standing === 'valid';
        },
      },
    });
    const tracker = new ProcessTracker();
    opened.push({ manager, tracker });
    const view = await manager.create({ name: 'repl', command: REPL, autostart: true });
    tracker.track(view.pid);
    await waitFor(async () => (await store.getSession(view.id))?.status === 'running');

    // Uncertain: the stop is carried out here, its record waits for the lease's answer.
    standing = 'uncertain';
    const stopping = manager.stop(view.id).catch(() => undefined);
    await waitFor(() => answer !== undefined, { message: 'the write asks for the lease' });
    await new Promise((r) => setTimeout(r, 300));
    expect((await store.getSession(view.id))?.status).toBe('running');
    // The answer: lost to another node. Nothing of the stale copy is written.
    standing = 'lost';
    answer?.();
    await stopping;
    await new Promise((r) => setTimeout(r, 300));
    expect((await manager.get(view.id)).status).toBe('stopped');
    expect((await store.getSession(view.id))?.status).toBe('running');
  });

  it('are written while the lease holds', async () => {
    const store = createMemoryStore();
    const manager = createSessionManager({
      store,
      emit: () => undefined,
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      node: 'n1',
      options: { killGraceMs: 300, quietMs: 200 },
      leases: {
        acquire: () => Promise.resolve('acquired'),
        release: () => undefined,
        confirm: () => Promise.resolve(true),
      },
    });
    const tracker = new ProcessTracker();
    opened.push({ manager, tracker });
    const view = await manager.create({ name: 'repl', command: REPL, autostart: true });
    tracker.track(view.pid);
    await manager.stop(view.id);
    await waitFor(async () => (await store.getSession(view.id))?.status === 'stopped');
  });
});

import { runSchedulerConformance } from '../../conformance/scheduler.case.ts';
import { createCronerScheduler } from '../../../src/triggers/croner-scheduler.ts';
import { waitFor } from '../../helpers/poll.ts';

runSchedulerConformance({
  name: 'croner',
  create: () => ({
    scheduler: createCronerScheduler(),
    now: () => Date.now(),
    // Real time: croner's timers only fire as the wall clock moves.
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    until: async (pred, maxMs, what) => {
      // Generous on a loaded machine: the scheduler's own time is the wall clock.
      await waitFor(pred, { timeoutMs: maxMs * 2, intervalMs: 20, message: what });
    },
    close: () => {},
  }),
});

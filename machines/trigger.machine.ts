/**
 * One declared trigger (cron, http or nats): active | paused | firing | error.
 *
 * Every fire (a cron tick, a `fire` command, a webhook call, a NATS message) enters `firing`,
 * where the `startRun` actor (supplied by the runtime) applies the workflow's overlap policy and
 * resolves with the outcome: started, queued, skipped (with a reason) or failed. Fires arriving
 * meanwhile wait in a bounded list; past it they are skipped as `busy`. Message fires (webhook,
 * NATS) that waited go in together, up to `maxBatch` in one `firing` (`startRun` gets them in
 * order and answers one outcome each; the runtime decides them in that order, and starts those
 * the policy lets start at once side by side), so a burst costs round trips by the batch, not
 * by the message; ticks and manual fires go alone. Each outcome is emitted as a `trigger.*`
 * event and handed to the runtime's `respond` action for whoever waits on it.
 *
 * A paused trigger ignores its own ticks, refuses fires from messages (`paused`) and still
 * honours a manual `fire`. A tick that could not start its run (store or queue trouble) moves
 * the trigger to `error`, from where it retries that tick with backoff while the error is
 * recoverable; any later fire or `resume` brings it back. A `fault` (the runtime found the
 * declaration unusable, e.g. a webhook whose secret variable is unset) moves an active trigger
 * to `error` with that reason, announced as `trigger.status`, until `resume`, a fire, or the
 * runtime seeing the problem gone.
 *
 * A fire never holds `firing` for good: past `fireTimeoutMs` its `startRun` is stopped (its
 * signal aborts) and the fire fails with `timeout`, so a stuck store or queue costs one fire, not
 * the trigger. A message refused before it could fire (not JSON, bad inputs) is a `reject`: it
 * counts and is announced as `trigger.rejected` in any state, and changes no state. Context is
 * plain JSON.
 * @module
 */
import { assertEvent, assign, emit, enqueueActions, setup } from 'xstate';
import type { TriggerEvent } from '../src/events.ts';
import type { WireError } from '../src/errors.ts';
import { notProvided } from './not-provided.ts';
import { setupTypes } from './setup-types.ts';
import { eventOf, outputOf } from './params.ts';
import {
  fireTimedOut,
  isTick,
  outcomeEvent,
  rejectedEvent,
  resultOf,
  toWireError,
  type FireOutcome,
  type FireRequest,
  type RejectedMessage,
  type StartRunInput,
  type TriggerResult,
} from './trigger-outcome.ts';

export { outcomeEvent, rejectedEvent, resultOf } from './trigger-outcome.ts';
export type {
  FireOutcome,
  FireRequest,
  RejectedMessage,
  StartRunInput,
  TriggerResult,
} from './trigger-outcome.ts';

/** What a trigger starts from (its persisted state included). */
export interface TriggerInput {
  triggerId: string;
  workflowId: string;
  kind: string;
  /** @default false */
  paused?: boolean;
  lastFireAt?: number | null;
  lastResult?: TriggerResult | null;
  /** Fires that may wait while one is in progress. @default 256 */
  maxPending?: number;
  /** Retries of a tick that failed recoverably. @default 3 */
  maxRetries?: number;
  /** A fire still undecided after this long fails with `timeout`. @default 30000 */
  fireTimeoutMs?: number;
  /** Message fires that go into `firing` together. @default 64 */
  maxBatch?: number;
}

/** Trigger context (JSON-serialisable). */
export interface TriggerContext extends Required<Omit<TriggerInput, 'paused'>> {
  /** The fires in `firing` (empty otherwise): one tick or manual fire, or message fires. */
  batch: FireRequest[];
  pending: FireRequest[];
  /** Where `firing` goes back to. */
  returnTo: 'active' | 'paused';
  lastError: WireError | null;
  /** The tick to retry from `error`. */
  failedFire: FireRequest | null;
  retries: number;
  fired: number;
  skipped: number;
  failed: number;
  /** Messages refused before they could fire (`reject`). */
  rejected: number;
}

/** Events a trigger accepts. */
export type TriggerCommand =
  | { type: 'fire'; fire: FireRequest }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'retry' }
  /** A fire that waited in the overlap queue got its outcome. */
  | { type: 'dequeued'; fire: FireRequest; outcome: FireOutcome }
  /** Ticks missed while the service was down and not replayed (`catchUp`). */
  | { type: 'missed'; at: number; count: number; message: string }
  /** The declaration cannot be served as it is (e.g. `secret_unavailable`); runtime only. */
  | { type: 'fault'; error: WireError }
  /** A message refused before it could fire (not JSON, not an object, bad inputs). */
  | { type: 'reject'; rejected: RejectedMessage };

/** What the `startRun` actor sends back (the invocation is named `startRun`). */
type StartRunEnded =
  | { type: 'xstate.done.actor.startRun'; output: FireOutcome[] }
  | { type: 'xstate.error.actor.startRun'; error: unknown };

/** The trigger's status names. */
export type TriggerStatus = 'active' | 'paused' | 'firing' | 'error';

/** @default 256 */
export const DEFAULT_MAX_PENDING_FIRES = 256;
/** @default 3 */
export const DEFAULT_MAX_FIRE_RETRIES = 3;
/** @default 30000 */
export const DEFAULT_FIRE_TIMEOUT_MS = 30_000;
/** @default 64 */
export const DEFAULT_MAX_BATCH = 64;
const RETRY_BASE_MS = 1000;
const RETRY_MAX_MS = 60_000;

const SKIP_MESSAGES: Record<'paused' | 'busy', string> = {
  paused: 'the trigger is paused',
  busy: 'too many fires are waiting for this trigger',
};

/** The outcome of a fire skipped for `reason`. */
const skipped = (reason: 'paused' | 'busy'): FireOutcome => ({
  status: 'skipped',
  reason,
  message: SKIP_MESSAGES[reason],
});

type ReturnTo = TriggerContext['returnTo'];

/** A fire carrying its own input and a sender (webhook, NATS): may share a batch. */
const isMessage = (fire: FireRequest): boolean =>
  fire.source === 'nats' || fire.source === 'webhook';

/** The fires `firing` takes from the head of `pending`: message fires together, others alone. */
function nextBatch(pending: readonly FireRequest[], maxBatch: number): FireRequest[] {
  const first = pending[0];
  if (first === undefined) return [];
  if (!isMessage(first)) return [first];
  let n = 1;
  while (n < pending.length && n < maxBatch && isMessage(pending[n]!)) n++;
  return pending.slice(0, n);
}

/** What a fire `startRun` answered nothing for gets (a runtime bug, not a user's mistake). */
const NO_OUTCOME: FireOutcome = {
  status: 'failed',
  error: { code: 'internal', message: 'startRun gave no outcome for this fire', recoverable: true },
};

/** Transition params: the fire of a `fire` event. */
const fireOf = ({ event }: { event: { fire: FireRequest } }): FireRequest => event.fire;
/** Transition params: the error of a `fault` event. */
const errorOf = ({ event }: { event: { error: WireError } }): WireError => event.error;

/**
 * Everything but the actions that answer fires: those enqueue the runtime's `respond` by name,
 * which only the setup's own typed helpers (below) can do.
 */
const triggerSetup = setup({
  types: setupTypes<{
    context: TriggerContext;
    events: TriggerCommand | StartRunEnded;
    input: TriggerInput;
    emitted: TriggerEvent;
  }>(),
  actors: {
    /** Applies the overlap policy and starts (or queues, or skips) a run; supplied by the runtime. */
    startRun: notProvided<FireOutcome[], StartRunInput>('startRun'),
  },
  actions: {
    /** Hands an outcome to whoever waits for the fire; supplied by the runtime. */
    respond: (_, _params: { fireId: string; outcome: FireOutcome }) => {
      throw new Error("action 'respond' was not provided");
    },
    accept: assign((_, params: { fire: FireRequest; returnTo: ReturnTo }) => ({
      batch: [params.fire],
      returnTo: params.returnTo,
    })),
    takeNext: assign(({ context }, params: { returnTo: ReturnTo }) => {
      const batch = nextBatch(context.pending, context.maxBatch);
      return { batch, pending: context.pending.slice(batch.length), returnTo: params.returnTo };
    }),
    setReturnTo: assign((_, params: { returnTo: ReturnTo }) => ({ returnTo: params.returnTo })),
    retryFailed: assign(({ context }) => ({
      batch: context.failedFire
        ? [{ ...context.failedFire, attempt: (context.failedFire.attempt ?? 1) + 1 }]
        : [],
      returnTo: 'active' as const,
    })),
    hold: assign(({ context }, fire: FireRequest) => ({ pending: [...context.pending, fire] })),
    report: enqueueActions(
      ({ context, enqueue }, params: { fire: FireRequest; outcome: FireOutcome }) => {
        const { fire, outcome } = params;
        enqueue.assign({
          lastResult: resultOf(outcome),
          fired: context.fired + (outcome.status === 'started' ? 1 : 0),
          skipped: context.skipped + (outcome.status === 'skipped' ? 1 : 0),
          failed: context.failed + (outcome.status === 'failed' ? 1 : 0),
        });
        enqueue.emit(outcomeEvent(context, fire, outcome, { queued: true }));
      },
    ),
    reject: enqueueActions(({ context, enqueue }, rejected: RejectedMessage) => {
      enqueue.assign({ rejected: context.rejected + 1 });
      enqueue.emit(rejectedEvent(context, rejected));
    }),
    reportMissed: emit(({ context }, missed: { at: number; count: number; message: string }) => ({
      type: 'trigger.skipped',
      triggerId: context.triggerId,
      workflowId: context.workflowId,
      kind: context.kind,
      origin: 'catch_up',
      scheduledAt: new Date(missed.at).toISOString(),
      reason: 'missed',
      message: missed.message,
      count: missed.count,
    })),
    announce: emit(({ context }, params: { status: 'active' | 'paused' }) => ({
      type: 'trigger.status',
      triggerId: context.triggerId,
      workflowId: context.workflowId,
      kind: context.kind,
      status: params.status,
    })),
    clearError: assign({ lastError: null, failedFire: null, retries: 0 }),
    fault: enqueueActions(({ context, enqueue }, error: WireError) => {
      enqueue.assign({ lastError: error, failedFire: null, retries: 0 });
      enqueue.emit({
        type: 'trigger.status',
        triggerId: context.triggerId,
        workflowId: context.workflowId,
        kind: context.kind,
        status: 'error',
        error,
      });
    }),
  },
  guards: {
    isManual: (_, fire: FireRequest) => fire.source === 'manual',
    isTick: (_, fire: FireRequest) => isTick(fire),
    currentIsTick: ({ context }) => isTick(context.batch[0]),
    isFull: ({ context }) => context.pending.length >= context.maxPending,
    hasPending: ({ context }) => context.pending.length > 0,
    hasRefusablePending: ({ context }) => context.pending.some((f) => f.source !== 'manual'),
    /** Ticks go alone: the batch is one tick, and it failed. */
    tickFailed: ({ context }, outcomes: FireOutcome[]) =>
      isTick(context.batch[0]) && outcomes[0]?.status === 'failed',
    returnsPaused: ({ context }) => context.returnTo === 'paused',
    canRetry: ({ context }) => context.failedFire !== null,
  },
  delays: {
    fireTimeout: ({ context }) => context.fireTimeoutMs,
    retryDelay: ({ context }) =>
      Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, context.retries - 1)),
  },
});

/** Skips the fire of a `fire` event for `reason`: counted, announced and answered. */
const skipFire = (reason: 'paused' | 'busy') =>
  triggerSetup.enqueueActions(({ context, event, enqueue }) => {
    assertEvent(event, 'fire');
    const outcome = skipped(reason);
    enqueue.assign({ skipped: context.skipped + 1 });
    enqueue.emit(outcomeEvent(context, event.fire, outcome));
    enqueue({ type: 'respond', params: { fireId: event.fire.fireId, outcome } });
  });

/** The setup above, plus the actions that answer fires. */
const triggerActions = triggerSetup.extend({
  actions: {
    skipBusy: skipFire('busy'),
    skipPaused: skipFire('paused'),
    /** A tick while paused: answered, not announced. */
    dropTick: triggerSetup.enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'fire');
      enqueue({
        type: 'respond',
        params: { fireId: event.fire.fireId, outcome: skipped('paused') },
      });
    }),
    /** Paused: drops waiting ticks, refuses waiting messages; manual fires stay. */
    flushPaused: triggerSetup.enqueueActions(({ context, enqueue }) => {
      const outcome = skipped('paused');
      let refused = 0;
      for (const fire of context.pending) {
        if (fire.source === 'manual') continue;
        enqueue({ type: 'respond', params: { fireId: fire.fireId, outcome } });
        if (isTick(fire)) continue;
        refused++;
        enqueue.emit(outcomeEvent(context, fire, outcome));
      }
      enqueue.assign({
        pending: context.pending.filter((f) => f.source === 'manual'),
        skipped: context.skipped + refused,
      });
    }),
    settle: triggerSetup.enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'xstate.done.actor.startRun');
      const count = { started: 0, skipped: 0, failed: 0 };
      let last: FireOutcome | undefined;
      context.batch.forEach((fire, i) => {
        const outcome: FireOutcome = event.output[i] ?? NO_OUTCOME;
        if (outcome.status !== 'queued') count[outcome.status]++;
        last = outcome;
        enqueue.emit(outcomeEvent(context, fire, outcome));
        enqueue({ type: 'respond', params: { fireId: fire.fireId, outcome } });
      });
      const lastFire = context.batch[context.batch.length - 1];
      enqueue.assign({
        batch: [],
        ...(lastFire && { lastFireAt: lastFire.at }),
        ...(last && { lastResult: resultOf(last) }),
        fired: context.fired + count.started,
        skipped: context.skipped + count.skipped,
        failed: context.failed + count.failed,
        ...(count.failed < context.batch.length && {
          failedFire: null,
          retries: 0,
          lastError: null,
        }),
      });
    }),
    /** The fire failed: `startRun` said so, threw, or outlasted `fireTimeout` (any other event). */
    fail: triggerSetup.enqueueActions(({ context, event, enqueue }) => {
      const batch = context.batch;
      const fire = batch[0]!;
      let error: WireError;
      if (event.type === 'xstate.done.actor.startRun') {
        const outcome = event.output[0];
        error = outcome?.status === 'failed' ? outcome.error : toWireError(outcome);
      } else if (event.type === 'xstate.error.actor.startRun') error = toWireError(event.error);
      else error = fireTimedOut(context.fireTimeoutMs);
      const outcome: FireOutcome = { status: 'failed', error };
      const attempt = fire.attempt ?? 1;
      // Only a tick retries, and a tick is always alone in its batch.
      const willRetry = isTick(fire) && error.recoverable && attempt <= context.maxRetries;
      enqueue.assign({
        batch: [],
        lastFireAt: batch[batch.length - 1]!.at,
        lastResult: resultOf(outcome),
        lastError: error,
        failedFire: willRetry ? fire : null,
        retries: attempt,
        failed: context.failed + batch.length,
      });
      for (const f of batch) {
        enqueue.emit(outcomeEvent(context, f, outcome, { willRetry }));
        enqueue({ type: 'respond', params: { fireId: f.fireId, outcome } });
      }
    }),
  },
});

/** The trigger machine. */
export const triggerMachine = triggerActions.createMachine({
  id: 'trigger',
  context: ({ input }) => ({
    triggerId: input.triggerId,
    workflowId: input.workflowId,
    kind: input.kind,
    lastFireAt: input.lastFireAt ?? null,
    lastResult: input.lastResult ?? null,
    maxPending: input.maxPending ?? DEFAULT_MAX_PENDING_FIRES,
    maxRetries: input.maxRetries ?? DEFAULT_MAX_FIRE_RETRIES,
    fireTimeoutMs: input.fireTimeoutMs ?? DEFAULT_FIRE_TIMEOUT_MS,
    maxBatch: input.maxBatch ?? DEFAULT_MAX_BATCH,
    batch: [],
    pending: [],
    returnTo: input.paused ? 'paused' : 'active',
    lastError: null,
    failedFire: null,
    retries: 0,
    fired: 0,
    skipped: 0,
    failed: 0,
    rejected: 0,
  }),
  initial: 'init',
  states: {
    /** Transient: resumes the persisted pause. */
    init: {
      always: [{ guard: 'returnsPaused', target: 'paused' }, { target: 'active' }],
    },
    active: {
      always: {
        guard: 'hasPending',
        target: 'firing',
        actions: { type: 'takeNext', params: { returnTo: 'active' } },
      },
      on: {
        fire: {
          target: 'firing',
          actions: {
            type: 'accept',
            params: ({ event }) => ({ fire: event.fire, returnTo: 'active' }),
          },
        },
        pause: { target: 'paused', actions: { type: 'announce', params: { status: 'paused' } } },
        fault: { target: 'error', actions: { type: 'fault', params: errorOf } },
      },
    },
    paused: {
      always: [
        { guard: 'hasRefusablePending', actions: 'flushPaused' },
        {
          guard: 'hasPending',
          target: 'firing',
          actions: { type: 'takeNext', params: { returnTo: 'paused' } },
        },
      ],
      on: {
        fire: [
          {
            guard: { type: 'isManual', params: fireOf },
            target: 'firing',
            actions: {
              type: 'accept',
              params: ({ event }) => ({ fire: event.fire, returnTo: 'paused' }),
            },
          },
          // Its own ticks pass silently while paused (resume does not replay them).
          { guard: { type: 'isTick', params: fireOf }, actions: 'dropTick' },
          { actions: 'skipPaused' },
        ],
        resume: { target: 'active', actions: { type: 'announce', params: { status: 'active' } } },
      },
    },
    firing: {
      invoke: {
        id: 'startRun',
        src: 'startRun',
        input: ({ context }) => ({
          triggerId: context.triggerId,
          workflowId: context.workflowId,
          kind: context.kind,
          fires: context.batch,
        }),
        onDone: [
          { guard: { type: 'tickFailed', params: outputOf }, target: 'error', actions: 'fail' },
          { guard: 'returnsPaused', target: 'paused', actions: 'settle' },
          { target: 'active', actions: 'settle' },
        ],
        onError: { target: 'error', actions: 'fail' },
      },
      // Leaving `firing` stops `startRun` (its signal aborts): a stuck decision costs one fire.
      after: {
        fireTimeout: [
          { guard: 'currentIsTick', target: 'error', actions: 'fail' },
          { guard: 'returnsPaused', target: 'paused', actions: 'fail' },
          { target: 'active', actions: 'fail' },
        ],
      },
      on: {
        fire: [
          { guard: 'isFull', actions: 'skipBusy' },
          { actions: { type: 'hold', params: fireOf } },
        ],
        pause: {
          actions: [
            { type: 'setReturnTo', params: { returnTo: 'paused' } },
            { type: 'announce', params: { status: 'paused' } },
          ],
        },
        resume: {
          actions: [
            { type: 'setReturnTo', params: { returnTo: 'active' } },
            { type: 'announce', params: { status: 'active' } },
          ],
        },
      },
    },
    error: {
      always: {
        guard: 'hasPending',
        target: 'firing',
        actions: { type: 'takeNext', params: { returnTo: 'active' } },
      },
      after: {
        retryDelay: { guard: 'canRetry', target: 'firing', actions: 'retryFailed' },
      },
      on: {
        fire: {
          target: 'firing',
          actions: {
            type: 'accept',
            params: ({ event }) => ({ fire: event.fire, returnTo: 'active' }),
          },
        },
        retry: [
          { guard: 'canRetry', target: 'firing', actions: 'retryFailed' },
          { target: 'active', actions: 'clearError' },
        ],
        resume: {
          target: 'active',
          actions: ['clearError', { type: 'announce', params: { status: 'active' } }],
        },
        pause: {
          target: 'paused',
          actions: ['clearError', { type: 'announce', params: { status: 'paused' } }],
        },
        fault: { actions: { type: 'fault', params: errorOf } },
      },
    },
  },
  on: {
    dequeued: { actions: { type: 'report', params: eventOf } },
    missed: { actions: { type: 'reportMissed', params: eventOf } },
    reject: { actions: { type: 'reject', params: ({ event }) => event.rejected } },
  },
});

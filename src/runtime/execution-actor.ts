/**
 * The `run` actor supplied to engines: one execution in one engine slot. It creates the run's
 * workflow actor, forwards what the run emits into the event pipeline and resolves when the
 * run ends. Stopping it (engine stop, service shutdown) stops the workflow actor without a
 * final status, so the run stays unfinished in the store and is rehydrated on the next start.
 * The slot is counted free by the dispatcher when the engine has freed it (dispatcher.ts).
 * A run lost to another node (`live.lose`, cluster leases) is stopped the same way, without
 * giving its work back: the other node runs it now.
 * The workflow's secrets are resolved here, before the run starts: one that is unavailable fails
 * the run (`secret_unavailable`) before any step starts.
 * @module
 */
import { createActor, fromPromise, type AnyActorRef, type AnyStateMachine } from 'xstate';
import type { Logger } from 'pino';
import type { executionMachine, ExecutionOutput } from '../../machines/execution.machine.ts';
import type { Clock } from '../clock.ts';
import type { Store } from '../store/index.ts';
import { toWire, type WireError } from '../errors.ts';
import type { SecretResolver } from '../secrets/index.ts';
import type { EventPipeline } from './event-pipeline.ts';
import type { LiveExecutions } from './live-executions.ts';

/** Dependencies of the run actor. */
export interface ExecutionActorDeps {
  machine: typeof executionMachine;
  /** Tells the live actor directory about the actor (GET /api/actors). */
  track?: (kind: string, id: string, actor: AnyActorRef, parent?: string) => void;
  executions: LiveExecutions;
  pipeline: Pick<EventPipeline, 'emitExecution'>;
  store: Store;
  clock: Clock;
  node: string;
  logger: Logger;
  /** Called when the run was stopped before its end (shutdown). */
  onAbandoned: (executionId: string) => void;
  /** Resolves a workflow's secrets when its run starts. */
  secrets: SecretResolver;
}

/** What the run actor resolves with. */
export type ExecutionActorOutput =
  ExecutionOutput | { executionId: string; status: 'abandoned' | 'skipped' };

/** Builds the `run` actor logic. */
export function createExecutionActor(deps: ExecutionActorDeps) {
  return fromPromise<ExecutionActorOutput, { executionId: string; engineId: string }>(
    async function run({ input, signal }) {
      const { executionId, engineId } = input;
      const live = deps.executions.get(executionId);
      if (!live) return { executionId, status: 'skipped' };
      let unavailable: WireError | undefined;
      const sources = live.definition.secrets;
      if (sources !== undefined && !live.cancelled) {
        try {
          live.secrets = await deps.secrets(sources);
        } catch (err) {
          unavailable = toWire(err);
        }
        if (signal.aborted) {
          deps.onAbandoned(executionId);
          return { executionId, status: 'abandoned' };
        }
      }
      live.record.engineId = engineId;
      live.record.node = deps.node;
      const actor = createActor(deps.machine as AnyStateMachine, {
        id: `execution.${executionId}`,
        clock: deps.clock,
        input: {
          executionId,
          workflowId: live.record.workflowId,
          definition: live.definition,
          resume: live.resume,
          ...(live.elapsedMs !== undefined && { elapsedMs: live.elapsedMs }),
          // Paused before this process took it (a restart, or a pause while it was queued).
          ...(live.record.paused !== undefined && { paused: live.record.paused }),
          // Rolling back when a previous process stopped: it goes on, ending as it would have.
          ...(live.record.status === 'rolling_back' &&
            live.record.error !== null && { rollingBack: { error: live.record.error } }),
        },
      }) as NonNullable<typeof live.actor>;
      live.actor = actor;
      deps.track?.('execution', executionId, actor, `engine.${engineId}`);
      actor.on('*', (event) => deps.pipeline.emitExecution(event));
      let lost = false;
      const done = new Promise<ExecutionActorOutput>((resolve) => {
        live.lose = () => {
          if (lost || actor.getSnapshot().status !== 'active') return;
          lost = true;
          actor.stop();
          resolve({ executionId, status: 'abandoned' });
        };
        actor.subscribe({
          complete: () =>
            resolve(
              lost
                ? { executionId, status: 'abandoned' }
                : (actor.getSnapshot().output as ExecutionOutput),
            ),
          error: (err) => {
            deps.logger.error({ err, executionId }, 'workflow actor crashed');
            resolve({ executionId, status: 'abandoned' });
          },
        });
        signal.addEventListener(
          'abort',
          () => {
            if (actor.getSnapshot().status !== 'active') return;
            actor.stop();
            deps.onAbandoned(executionId);
            resolve({ executionId, status: 'abandoned' });
          },
          { once: true },
        );
      });
      actor.start();
      // A cancel that arrived while the run was being handed to this slot wins over start.
      actor.send(
        live.cancelled
          ? { type: 'cancel', reason: 'cancelled before start' }
          : unavailable
            ? { type: 'fail', error: unavailable }
            : { type: 'start' },
      );
      return await done;
    },
  );
}

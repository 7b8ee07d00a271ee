/**
 * Routes `stator.<kind>.<id>.in` messages to the actors this process owns. An actor's inbound
 * subject is subscribed by its owner alone, from the moment the actor becomes live here until it
 * leaves (`own` / `release`): no process answers for an actor it does not hold, so a request
 * reaches the owner wherever it runs, and one that nobody holds fails at once with "no
 * responders" (which callers read as "not here, or its node is gone"); embedded, where no other
 * process could hold it, this process says `not_found` itself. Triggers are the one
 * replicated kind: every process holds every declared trigger, so their subscriptions share a
 * queue group and each message reaches one replica.
 *
 * Every payload is parsed by the schema of the kind's inbound events before it reaches an actor;
 * a bad one changes nothing and, when the sender asked for a reply, gets the structured error.
 * @module
 */
import { parseBoundedJson } from '../parse/index.ts';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Bus, BusMessage, BusSubscription } from '../bus/types.ts';
import { InvalidArgumentError, StatorError, toWire } from '../errors.ts';
import { approverNameSchema } from '../workflow/index.ts';

/** Longest comment of an approval decision, characters. */
export const MAX_DECISION_COMMENT = 4096;

/** The fields of an approve or reject (approval steps; see approvals/). */
const decisionFields = {
  stepId: z.string().min(1).max(256).optional(),
  by: approverNameSchema.refine((by) => by !== 'timeout', "'timeout' is reserved").optional(),
  comment: z.string().max(MAX_DECISION_COMMENT).optional(),
};

/** Inbound events of executions. */
export const executionInboundSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('cancel'), reason: z.string().max(500).optional() }),
  z.object({ type: z.literal('pause'), by: approverNameSchema.optional() }),
  z.object({ type: z.literal('resume'), by: approverNameSchema.optional() }),
  z.object({ type: z.literal('approve'), ...decisionFields }),
  z.object({ type: z.literal('reject'), ...decisionFields }),
]);

/** Inbound events of engines (`health.check` answers the engine's view and changes nothing). */
export const engineInboundSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pause') }),
  z.object({ type: z.literal('resume') }),
  z.object({ type: z.literal('drain') }),
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('health.check') }),
  z.object({
    type: z.literal('execute'),
    workflowId: z.string().min(1),
    input: z.record(z.string(), z.unknown()).optional(),
  }),
]);

/** Inbound events of triggers. */
export const triggerInboundSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('pause') }),
  z.object({ type: z.literal('resume') }),
  z.object({ type: z.literal('fire'), input: z.record(z.string(), z.unknown()).optional() }),
]);

/**
 * Inbound events of sessions: the process commands, and the reads and edits another process
 * forwards to the owner (the owner's answer is the session as it holds it).
 */
export const sessionInboundSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start') }),
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('restart') }),
  z.object({
    type: z.literal('input'),
    text: z.string().max(1024 * 1024),
    newline: z.boolean().optional(),
  }),
  z.object({ type: z.literal('get') }),
  z.object({ type: z.literal('health-check') }),
  z.object({
    type: z.literal('logs'),
    since: z.number().int().min(0).optional(),
    limit: z.number().int().min(1).optional(),
  }),
  z.object({ type: z.literal('update'), patch: z.record(z.string(), z.unknown()) }),
  z.object({ type: z.literal('set-preference'), key: z.string(), value: z.unknown().optional() }),
  z.object({ type: z.literal('delete') }),
]);

/** Returned by a route that must not answer (the sender gets no reply from this process). */
export const NOT_MINE: unique symbol = Symbol('not mine');

/** Handles one validated inbound event for an actor this process owns; returns the reply data. */
export type InboundHandler = (
  id: string,
  event: { type: string } & Record<string, unknown>,
  msg?: BusMessage,
) => Promise<unknown>;

/** Kinds whose actors have an inbound subject. */
export type RoutedKind = 'execution' | 'engine' | 'trigger' | 'session';

/** What the router runs per kind. */
export type RouteTable = Record<RoutedKind, InboundHandler>;

const SCHEMAS: Record<RoutedKind, z.ZodType> = {
  execution: executionInboundSchema,
  engine: engineInboundSchema,
  trigger: triggerInboundSchema,
  session: sessionInboundSchema,
};

/**
 * A payload as an inbound event of `kind`: full input bounds (depth, entries, string length)
 * before the schema sees anything; InvalidArgumentError naming the fields otherwise.
 */
function decode(kind: RoutedKind, msg: BusMessage): { type: string } & Record<string, unknown> {
  const result = SCHEMAS[kind].safeParse(parseBoundedJson(msg.string()));
  if (!result.success) {
    throw InvalidArgumentError.format(
      result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return result.data as { type: string } & Record<string, unknown>;
}

/** The inbound subscriptions of the actors this process owns. */
export interface ActorRouter {
  /** Subscribes the actor's inbound subject here; idempotent. */
  own(kind: RoutedKind, id: string): void;
  /** Unsubscribes it; idempotent. */
  release(kind: RoutedKind, id: string): void;
  /** True while this process subscribes the actor's inbound subject. */
  owns(kind: RoutedKind, id: string): boolean;
  /** Actors subscribed here. */
  readonly size: number;
  /** Unsubscribes every actor; later `own` calls are ignored. */
  close(): void;
}

/** Options of the router. */
export interface ActorRouterOptions {
  /**
   * This process is the only one (embedded): it also answers `not_found` for actors nobody
   * holds, through one wildcard subscription per kind, as no other process could hold them. In a
   * cluster nobody answers for them (the server says "no responders"). @default false
   */
  answerUnknown?: boolean;
}

/**
 * The answer for an actor nobody holds: `not_found`, marked `held: false` so that a process
 * asking the owner (bus/owner-request.ts) reads it as "no responders".
 */
export function notHeld(kind: RoutedKind, id: string): StatorError {
  return new StatorError('not_found', `${kind} '${id}' not found`, {
    details: { kind, id, held: false },
  });
}

/** Creates the router; nothing is subscribed until an actor is owned. */
export function createActorRouter(
  bus: Bus,
  routes: RouteTable,
  logger: Logger,
  options: ActorRouterOptions = {},
): ActorRouter {
  const subs = new Map<string, BusSubscription>();
  /** Released actors whose subscription still delivers what was on its way: it answers those. */
  const draining = new Set<string>();
  let closed = false;
  const key = (kind: RoutedKind, id: string) => `${kind}.${id}`;
  const names = bus.subjects;
  const unknown: BusSubscription[] = [];
  if (options.answerUnknown) {
    for (const kind of Object.keys(SCHEMAS) as RoutedKind[]) {
      const sub = bus.subscribe(names.actorWildcard('in', kind), (msg) => {
        const parsed = names.parseActorSubject(msg.subject);
        // Held here: its own subscription answers.
        const k = key(kind, parsed?.id ?? '');
        if (!parsed || subs.has(k) || draining.has(k)) return;
        try {
          decode(kind, msg); // a bad payload is told so, whoever it was for
          msg.respond({ ok: false, error: toWire(notHeld(kind, parsed.id)) });
        } catch (err) {
          msg.respond({ ok: false, error: toWire(err) });
        }
      });
      unknown.push(sub);
    }
  }

  const handle = async (kind: RoutedKind, id: string, msg: BusMessage): Promise<void> => {
    try {
      const data = await routes[kind](id, decode(kind, msg), msg);
      if (data === NOT_MINE) return;
      msg.respond({ ok: true, data: data ?? null });
    } catch (err) {
      if (!msg.reply) logger.debug({ err, subject: msg.subject }, 'inbound event refused');
      msg.respond({ ok: false, error: toWire(err) });
    }
  };

  return {
    own(kind, id) {
      const k = key(kind, id);
      if (closed || subs.has(k)) return;
      try {
        // The replicas of one trigger share a queue group: each message reaches one of them.
        const sub = bus.subscribe(names.actorIn(kind, id), (msg) => void handle(kind, id, msg), {
          ...(kind === 'trigger' && { queue: names.queues.triggerReplicas }),
        });
        subs.set(k, sub);
      } catch (err) {
        // The bus is closing: nothing reaches this process any more anyway.
        logger.debug({ err, kind, id }, 'inbound subject not subscribed');
      }
    },
    release(kind, id) {
      const k = key(kind, id);
      const sub = subs.get(k);
      subs.delete(k);
      // Drained, not dropped: a request already on its way still gets the answer ("not here").
      if (sub?.drain) {
        draining.add(k);
        void sub
          .drain()
          .catch(() => undefined)
          .finally(() => draining.delete(k));
      } else sub?.unsubscribe();
    },
    owns: (kind, id) => subs.has(key(kind, id)),
    get size() {
      return subs.size;
    },
    close() {
      closed = true;
      for (const sub of unknown.splice(0)) sub.unsubscribe();
      for (const sub of subs.values()) sub.unsubscribe();
      subs.clear();
    },
  };
}

/**
 * Routes `stator.<kind>.<id>.in` messages to local actors. Every payload is parsed by the
 * schema of the kind's inbound events before it reaches an actor; a bad one changes nothing
 * and, when the sender asked for a reply, gets the structured error.
 * @module
 */
import { parseBoundedJson } from '../parse/index.ts';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { Bus, BusMessage, BusSubscription } from '../bus/types.ts';
import { actorWildcard, parseActorSubject, type ActorKind } from '../bus/subjects.ts';
import { InvalidArgumentError, NotFoundError, toWire } from '../errors.ts';

/** Inbound events of executions. */
export const executionInboundSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('cancel'), reason: z.string().max(500).optional() }),
]);

/** Inbound events of engines. */
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

/** Inbound events of sessions. */
export const sessionInboundSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start') }),
  z.object({ type: z.literal('stop') }),
  z.object({ type: z.literal('restart') }),
  z.object({
    type: z.literal('input'),
    text: z.string().max(1024 * 1024),
    newline: z.boolean().optional(),
  }),
]);

/** Returned by a route when another process owns the actor: it answers, this one stays silent. */
export const NOT_MINE: unique symbol = Symbol('not mine');

/** Handles one validated inbound event for a local actor; returns the reply data. */
export type InboundHandler = (
  id: string,
  event: { type: string } & Record<string, unknown>,
  msg?: BusMessage,
) => Promise<unknown>;

/** What the router needs per kind. */
export interface RouteTable {
  execution: InboundHandler;
  engine: InboundHandler;
  trigger: InboundHandler;
  session: InboundHandler;
}

const SCHEMAS: Partial<Record<ActorKind, z.ZodType>> = {
  execution: executionInboundSchema,
  engine: engineInboundSchema,
  trigger: triggerInboundSchema,
  session: sessionInboundSchema,
};

/** Subscribes to every actor's inbound subject and dispatches to `routes`. */
export function startActorRouter(bus: Bus, routes: RouteTable, logger: Logger): BusSubscription[] {
  const handle = async (msg: BusMessage): Promise<void> => {
    const parsed = parseActorSubject(msg.subject);
    if (!parsed || parsed.direction !== 'in') return;
    const schema = SCHEMAS[parsed.kind];
    const route = routes[parsed.kind as keyof RouteTable];
    try {
      if (!schema || !route) throw new NotFoundError('actor kind', parsed.kind);
      // Full input bounds (depth, entries, string length) before the schema sees anything.
      const result = schema.safeParse(parseBoundedJson(msg.string()));
      if (!result.success) {
        throw InvalidArgumentError.format(
          result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
        );
      }
      const data = await route(parsed.id, result.data as { type: string }, msg);
      if (data === NOT_MINE) return;
      msg.respond({ ok: true, data: data ?? null });
    } catch (err) {
      // NotFound for an actor another process owns is normal in a cluster: stay quiet then.
      if (!msg.reply) logger.debug({ err, subject: msg.subject }, 'inbound event refused');
      msg.respond({ ok: false, error: toWire(err) });
    }
  };
  return (['execution', 'engine', 'trigger', 'session'] as const).map((kind) =>
    bus.subscribe(actorWildcard('in', kind), (msg) => void handle(msg)),
  );
}

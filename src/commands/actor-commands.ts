/**
 * Live actor commands (`stator.api.actor.*` and the routes under `/api/actors`): every live
 * actor of the service with its state value, and one actor with a bounded summary of its
 * context, its children and its last transitions. In a cluster any node answers for every
 * node's actors.
 * @module
 */
import { z } from 'zod';
import { ACTOR_KINDS } from '../bus/index.ts';
import { defineCommand } from './types.ts';
import { idSchema } from './schemas.ts';

/** Actor kinds a listing can filter on: the addressable ones and the machines they spawn. */
const kindSchema = z.enum([...ACTOR_KINDS]);

/** `actor.list`: every live actor, optionally of one kind. */
export const actorList = defineCommand({
  name: 'actor.list',
  description: 'Lists the live actors (kind, id, parent, node, machine, state value)',
  input: z.strictObject({
    kind: z.preprocess((v) => (v === '' ? undefined : v), kindSchema.optional()),
  }),
  handler: async (stator, { kind }) => ({
    items: await stator.actors.list(kind === undefined ? {} : { kind }),
  }),
});

/** `actor.get`: one live actor with its context summary, children and last transitions. */
export const actorGet = defineCommand({
  name: 'actor.get',
  description: "Returns a live actor's state, context summary, children and last transitions",
  input: z.strictObject({ kind: kindSchema, id: idSchema }),
  handler: (stator, { kind, id }) => stator.actors.get(kind, id),
});

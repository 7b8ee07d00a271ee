/**
 * Service commands: health and the statechart catalogue.
 * @module
 */
import { z } from 'zod';
import { defineCommand } from './types.ts';
import { idSchema } from './schemas.ts';
import { NotFoundError } from '../errors.ts';

/** `health`: status, uptime, engines and active executions. */
export const health = defineCommand({
  name: 'health',
  description: 'Reports status, uptime, engines and active executions',
  input: z.object({}),
  handler: (stator) => stator.health(),
});

/** `machine.list`: names and descriptions of every statechart. */
export const machineList = defineCommand({
  name: 'machine.list',
  description: 'Lists the statecharts of the actor system',
  input: z.object({}),
  handler: async (stator) => ({
    items: stator.machines().map(({ name, description }) => ({ name, description })),
  }),
});

/** `machine.get`: one statechart as JSON (`format: json`) or Mermaid text (`format: mermaid`). */
export const machineGet = defineCommand({
  name: 'machine.get',
  description: 'Returns one statechart as JSON or as Mermaid text',
  input: z.object({
    name: idSchema,
    format: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.enum(['json', 'mermaid']).default('json'),
    ),
  }),
  handler: async (stator, { name, format }) => {
    const info = stator.machines().find((m) => m.name === name);
    if (!info) throw new NotFoundError('machine', name);
    return format === 'mermaid' ? info.mermaid : info;
  },
});

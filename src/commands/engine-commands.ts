/**
 * Engine commands (`stator.api.engine.*` and the routes under `/api/engines`): get, pause,
 * resume and drain an engine of any process of the cluster. The process that receives one for
 * an engine it does not hold asks the holder on `stator.engine.<id>.in`; `unavailable` when no
 * live process holds it.
 * @module
 */
import { z } from 'zod';
// eslint-disable-next-line no-restricted-imports -- cycle: runtime/index.ts imports this module
import type { EngineCommandName, EngineStatus, Stator } from '../runtime/types.ts';
import { UnavailableError } from '../errors.ts';
import { defineCommand } from './types.ts';
import { idSchema } from './schemas.ts';

const idInput = z.object({ id: idSchema });

/** Runs an engine command; UnavailableError on a Stator without engines (a partial one). */
function engineCommand(stator: Stator, id: string, command: EngineCommandName) {
  if (!stator.engine) throw new UnavailableError('engines are not available on this service');
  return stator.engine(id, command);
}

/** One engine command by name. */
function define(name: string, command: EngineCommandName, description: string) {
  return defineCommand({
    name,
    description,
    input: idInput,
    handler: (stator, { id }): Promise<EngineStatus> => engineCommand(stator, id, command),
    ...(command !== 'health.check' && { rateLimit: {} }),
  });
}

/** `engine.get`: an engine's status, slots and busy slots, wherever it runs. */
export const engineGet = define('engine.get', 'health.check', 'Returns the status of an engine');
/** `engine.pause`: the engine takes no new work; its runs go on. */
export const enginePause = define('engine.pause', 'pause', 'Pauses an engine (runs go on)');
/** `engine.resume`: a paused or draining engine takes work again. */
export const engineResume = define('engine.resume', 'resume', 'Resumes a paused engine');
/** `engine.drain`: the engine takes no new work and stops once its runs have ended. */
export const engineDrain = define('engine.drain', 'drain', 'Drains an engine');

/** The engine commands by name, for the registry in dispatch.ts. */
export const ENGINE_COMMANDS = {
  'engine.get': engineGet,
  'engine.pause': enginePause,
  'engine.resume': engineResume,
  'engine.drain': engineDrain,
} as const;

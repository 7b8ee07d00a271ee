/**
 * Engine commands on an embedded service, through `dispatch` (the NATS door) and the HTTP routes
 * (`app.request()`): get, pause, resume and drain an engine by id; an unknown id is `not_found`
 * (embedded, nothing else could hold it); a bad id is refused before anything runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import { dispatch } from '../../../src/commands/index.ts';
import { createHttpApp } from '../../../src/http/index.ts';
import { rejection } from '../../helpers/poll.ts';

describe('engine commands', () => {
  let stator: Stator;
  let engineId: string;

  beforeAll(async () => {
    stator = await createStator({ store: 'memory', node: 'solo', engines: 2 });
    engineId = (await stator.health()).engines[0]!.id;
  });
  afterAll(async () => {
    await stator?.close();
  });

  it('gets, pauses and resumes an engine by id', async () => {
    expect(await dispatch(stator, 'engine.get', { id: engineId })).toMatchObject({
      id: engineId,
      status: 'idle',
    });
    expect(await dispatch(stator, 'engine.pause', { id: engineId })).toMatchObject({
      status: 'paused',
    });
    expect((await stator.health()).engines[0]).toMatchObject({ id: engineId, status: 'paused' });
    expect(await dispatch(stator, 'engine.resume', { id: engineId })).toMatchObject({
      status: 'idle',
    });
  });

  it('serves the same commands over HTTP, with structured errors', async () => {
    const app = createHttpApp({ stator });
    const other = (await stator.health()).engines[1]!.id;
    const drained = await app.request(`/api/engines/${other}/drain`, { method: 'POST' });
    expect(drained.status).toBe(200);
    expect(await drained.json()).toMatchObject({ id: other, status: expect.any(String) });
    expect(await (await app.request(`/api/engines/${engineId}`)).json()).toMatchObject({
      id: engineId,
      status: 'idle',
    });
    const unknown = await app.request('/api/engines/no-such-engine/pause', { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('refuses an id that is not a subject token before anything runs', async () => {
    expect(await rejection(dispatch(stator, 'engine.pause', { id: 'a.b' }))).toMatchObject({
      code: 'invalid_argument',
    });
  });
});

/**
 * The live actor API in embedded mode, over HTTP: engines, the monitor, a running execution with
 * its engine as parent and its step machines as children, state values and the transitions that
 * moved them with their events; a finished run leaves the list; bad kinds and unknown ids are
 * refused. Real service, real processes.
 */
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import { createHttpApp } from '../../../src/http/index.ts';
import { waitFor } from '../../helpers/poll.ts';

interface Brief {
  kind: string;
  id: string;
  parent: string | null;
  node: string;
  machine: string;
  status: string;
  value: unknown;
}
interface Detail extends Brief {
  context: Record<string, unknown>;
  children: Brief[];
  transitions: Array<{ at: string; event: string; from: unknown; to: unknown }>;
}

let stator: Stator;
let app: Hono;
const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
  const res = await app.request(path);
  return { status: res.status, body: (await res.json()) as T };
};

beforeAll(async () => {
  stator = await createStator({ store: 'memory', rehydrate: false, node: 'actors-node' });
  app = createHttpApp({ stator });
  await stator.registerWorkflow({
    id: 'slow',
    steps: [
      { id: 'first', run: 'true' },
      { id: 'wait', needs: ['first'], exec: ['sleep', '30'] },
    ],
  });
});
afterAll(() => stator?.close());

describe('live actors (embedded)', () => {
  it('lists engines and the monitor from the start', async () => {
    const { status, body } = await get<{ items: Brief[] }>('/api/actors');
    expect(status).toBe(200);
    const engines = body.items.filter((a) => a.kind === 'engine');
    expect(engines.length).toBeGreaterThan(0);
    expect(engines[0]).toMatchObject({ machine: 'engine', status: 'active', node: 'actors-node' });
    expect(body.items.some((a) => a.kind === 'monitor')).toBe(true);
  });

  it('shows a running execution, its step children and the transitions that moved it', async () => {
    const { executionId } = await stator.execute('slow', {});
    const running = await waitFor(
      async () => {
        const { body } = await get<Detail>(`/api/actors/execution/${executionId}`);
        return body.children?.some(
          (c) => c.id.endsWith('wait') && JSON.stringify(c.value).includes('running'),
        )
          ? body
          : undefined;
      },
      { timeoutMs: 15_000 },
    );
    expect(running).toMatchObject({
      kind: 'execution',
      id: executionId,
      machine: 'execution',
      status: 'active',
    });
    expect(running.parent).toMatch(/^engine\./);
    expect(running.transitions.length).toBeGreaterThan(0);
    for (const t of running.transitions) {
      expect(typeof t.event).toBe('string');
      expect(JSON.stringify(t.from)).not.toBe(JSON.stringify(t.to));
    }
    expect(JSON.stringify(running.context).length).toBeLessThan(64 * 1024);
    const step = running.children.find((c) => c.id.endsWith('wait'))!;
    expect(step.machine).toBe('step');
    const stepDetail = await get<Detail>(`/api/actors/step/${encodeURIComponent(step.id)}`);
    expect(stepDetail.status).toBe(200);
    expect(stepDetail.body.parent).toBe(`execution.${executionId}`);

    const listed = await get<{ items: Brief[] }>('/api/actors?kind=execution');
    expect(listed.body.items.map((a) => a.id)).toContain(executionId);

    await stator.cancel(executionId);
    await stator.waitForExecution(executionId, { timeoutMs: 15_000 });
    await waitFor(
      async () => {
        const { body } = await get<{ items: Brief[] }>('/api/actors');
        return (
          body.items.every((a) => a.id !== executionId && !a.id.startsWith(`${executionId}:`)) ||
          undefined
        );
      },
      { timeoutMs: 10_000 },
    );
    expect((await get(`/api/actors/execution/${executionId}`)).status).toBe(404);
  });

  it('refuses a kind that does not exist and answers not_found for an unknown id', async () => {
    const bad = await get<{ error: { code: string } }>('/api/actors/wizard/x');
    expect(bad.status).toBe(422);
    expect(bad.body.error.code).toBe('invalid_argument');
    const badList = await get<{ error: { code: string } }>('/api/actors?kind=%3Cscript%3E');
    expect(badList.status).toBe(422);
    const missing = await get<{ error: { code: string } }>('/api/actors/execution/ex_nope');
    expect(missing.status).toBe(404);
  });
});

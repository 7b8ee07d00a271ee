/**
 * The dashboard in a real browser: headless Chromium (Debian's /usr/bin/chromium) driven by
 * playwright-core against a real Stator server (HTTP on a free port, token required). A person
 * logs in with the token, starts a run and watches its steps turn green, reads its logs, sends a
 * line to a session and sees the echo, pauses and resumes a trigger, and opens a machine to see
 * a live actor's active state lit and moving. Every request must stay on the server (any other
 * host is blocked and counted), hostile text must render as text, and the page must raise no
 * error and no Content-Security-Policy violation. Screenshots go to tmp/browser/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createStator } from '../../src/index.ts';
import type { Stator } from '../../src/runtime/types.ts';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../src/http/index.ts';
import {
  buildDashboardIfStale,
  openDashboardBrowser,
  type DashboardBrowser,
} from './browser-harness.ts';

const TOKEN = 'browser-test-token-0123456789';
const HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

let stator: Stator;
let server: HttpServerHandle;
let dash: DashboardBrowser;
let page: Page;
let origin: string;
let sessionId: string;

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  expect(res.status, `${method} ${path}`).toBeLessThan(300);
  return (await res.json()) as T;
}

const shot = (name: string) => dash.shot(name);

beforeAll(async () => {
  buildDashboardIfStale();
  stator = await createStator({ store: 'memory', rehydrate: false });
  server = await startHttpServer({ app: createHttpApp({ stator, apiToken: TOKEN }) });
  origin = new URL(server.url).origin;
  await stator.registerWorkflow({
    id: 'greet',
    inputs: { name: { type: 'string', default: 'world' } },
    steps: [
      { id: 'a', run: 'echo "hi $INPUT_NAME"' },
      { id: 'b', needs: ['a'], run: 'sleep 1.5; echo from-b' },
      { id: 'c', needs: ['a'], run: 'echo to-stderr >&2' },
      { id: 'd', needs: ['b', 'c'], run: 'echo done' },
    ],
    triggers: [{ cron: { schedule: '0 0 1 1 *' } }],
  });
  await stator.registerWorkflow({
    id: 'gated',
    steps: [
      { id: 'build', run: 'echo built' },
      { id: 'ship', needs: ['build'], approval: { message: 'Ship build 42?', timeout: '5m' } },
      { id: 'deploy', needs: ['ship'], run: 'echo deployed' },
    ],
  });
  await stator.registerWorkflow({
    id: 'hostile',
    steps: [{ id: 'loud', run: `printf '%s\\n' '${HOSTILE}'` }],
  });
  const session = await api<{ id: string }>('POST', '/api/sessions', {
    name: 'repl',
    autostart: true,
    run: 'while printf \'> \' && IFS= read -r line; do sleep 1; echo "you said: $line"; done',
    attention: { prompt: '^> $' },
  });
  sessionId = session.id;

  dash = await openDashboardBrowser(origin);
  page = dash.page;
}, 60_000);

afterAll(async () => {
  await dash?.close();
  await server?.close();
  await stator?.close();
});

describe('dashboard in a browser', () => {
  it('serves the page with its policy, and asks for the token', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    const asset = /\/assets\/(app-[A-Z0-9]+\.js)/.exec(html)?.[1];
    const js = await fetch(`${server.url}/assets/${asset}`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${server.url}/assets/nope.js`)).status).toBe(404);

    await page.goto(`${origin}/`);
    await page.getByTestId('login-token').fill('wrong-token');
    await page.getByTestId('login-submit').click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('refused');
    await page.getByTestId('login-token').fill(TOKEN);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('needs-you').getByText('repl').waitFor();
    await page.getByTestId('connection').getByText('live').waitFor();
    await shot('overview');
  }, 30_000);

  it('starts a run and watches its steps turn green, with their logs', async () => {
    await page.goto(`${origin}/#/executions?workflow=greet`);
    await page.getByTestId('run-workflow').click();
    await page.getByTestId('execution-detail').waitFor();
    const step = (id: string) => page.locator(`[data-testid="dag"] [data-step="${id}"]`);
    // b sleeps: it is seen running first, then every step is green.
    await step('b').and(page.locator('[data-status="running"]')).waitFor({ timeout: 10_000 });
    for (const id of ['a', 'b', 'c', 'd']) {
      await step(id).and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 10_000 });
    }
    await page.getByTestId('execution-status').getByText('completed').waitFor();
    const logs = page.getByTestId('execution-log-lines');
    await logs.getByText('hi world').waitFor();
    await logs.getByText('from-b').waitFor();
    await expect.poll(() => logs.locator('.logline.stderr').textContent()).toContain('to-stderr');
    expect(await page.locator('[data-testid="gantt"] .gantt-bar.st-succeeded').count()).toBe(4);
    await shot('execution');

    // The list shows it, found by id.
    const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2] ?? '');
    await page.goto(`${origin}/#/executions`);
    await page.getByTestId('filter-search').fill(id.slice(-8));
    await page.locator(`[data-execution="${id}"]`).getByText('completed').waitFor();
    await shot('executions');
  }, 30_000);

  it('approves a gate from the overview and from the run', async () => {
    const first = await api<{ executionId: string }>('POST', '/api/workflows/gated/execute', {});
    await page.goto(`${origin}/#/`);
    const needs = page.getByTestId('needs-you');
    await needs.getByText('Ship build 42?').waitFor({ timeout: 10_000 });
    await shot('overview-approval');
    await needs.getByTestId('approve-ship').click();
    expect((await stator.waitForExecution(first.executionId, { timeoutMs: 10_000 })).status).toBe(
      'completed',
    );

    const second = await api<{ executionId: string }>('POST', '/api/workflows/gated/execute', {});
    await page.goto(`${origin}/#/executions/${second.executionId}`);
    const ship = page.locator('[data-testid="dag"] [data-step="ship"]');
    await ship.and(page.locator('[data-status="awaiting_approval"]')).waitFor({ timeout: 10_000 });
    await page.getByTestId('reject-ship').click();
    await page.getByTestId('execution-status').getByText('failed').waitFor({ timeout: 10_000 });
    await ship.and(page.locator('[data-status="failed"]')).waitFor();
    expect(
      await page.locator('[data-testid="dag"] [data-step="deploy"]').getAttribute('data-status'),
    ).not.toBe('succeeded');
    // A failed run offers a retry: a new run, linked, with the gate asking again.
    await page.getByTestId('retry').click();
    await expect.poll(() => page.url()).not.toContain(second.executionId);
    await page.getByTestId('approve-ship').waitFor({ timeout: 10_000 });
    await page.getByTestId('approve-ship').click();
    await page.getByTestId('execution-status').getByText('completed').waitFor({ timeout: 10_000 });
  }, 40_000);

  it('pauses a run from its page, holding its next step, and resumes it', async () => {
    const run = await api<{ executionId: string }>('POST', '/api/workflows/greet/execute', {});
    const id = run.executionId;
    await page.goto(`${origin}/#/executions/${id}`);
    const b = page.locator('[data-testid="dag"] [data-step="b"]');
    await b.and(page.locator('[data-status="running"]')).waitFor({ timeout: 10_000 });
    await page.getByTestId('pause').click();
    await page.getByTestId('paused').waitFor({ timeout: 10_000 });
    await b.and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 10_000 });
    expect((await stator.getExecution(id)).steps.find((x) => x.id === 'd')!.status).toBe('pending');
    await page.getByTestId('resume').click();
    await page.getByTestId('execution-status').getByText('completed').waitFor({ timeout: 10_000 });
    expect((await stator.getExecution(id)).paused).toBeUndefined();
  }, 30_000);

  it('renders hostile text as text', async () => {
    const { executionId } = await api<{ executionId: string }>(
      'POST',
      '/api/workflows/hostile/execute',
      {},
    );
    await stator.waitForExecution(executionId, { timeoutMs: 10_000 });
    await page.goto(`${origin}/#/executions/${executionId}`);
    await page.getByTestId('execution-log-lines').getByText(HOSTILE).waitFor();
    // An id made of markup, straight from the address bar.
    await page.goto(`${origin}/#/executions/${encodeURIComponent(HOSTILE)}`);
    await page.getByTestId('execution-detail').getByText(HOSTILE).first().waitFor();
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
  }, 20_000);

  it('sends a line to a session and shows the echo', async () => {
    await page.goto(`${origin}/#/sessions/${sessionId}`);
    await page.getByTestId('session-activity').getByText('awaiting_input').waitFor();
    await page.getByTestId('session-input').fill('hello <b>there</b>');
    await page.getByTestId('session-send').click();
    await page.getByTestId('session-activity').getByText('busy').waitFor();
    await page.getByTestId('session-log-lines').getByText('you said: hello <b>there</b>').waitFor();
    await page.getByTestId('session-activity').getByText('awaiting_input').waitFor();
    await shot('sessions');
  }, 20_000);

  it('pauses and resumes a trigger', async () => {
    const id = 'greet-cron-0';
    await page.goto(`${origin}/#/triggers`);
    await page.getByTestId(`trigger-pause-${id}`).click();
    await page.getByTestId(`trigger-state-${id}`).getByText('paused').waitFor();
    expect((await api<{ state: string }>('GET', `/api/triggers/${id}`)).state).toBe('paused');
    await shot('triggers');
    await page.getByTestId(`trigger-resume-${id}`).click();
    await page.getByTestId(`trigger-state-${id}`).getByText('active').waitFor();
    expect((await api<{ state: string }>('GET', `/api/triggers/${id}`)).state).toBe('active');
  }, 20_000);

  it("lights a live actor's active state and follows it", async () => {
    await page.goto(`${origin}/#/machines/session?actor=${encodeURIComponent(sessionId)}`);
    const state = (id: string) =>
      page.locator(`[data-testid="statechart-session"] [data-state="${id}"]`);
    await state('session.running.awaiting_input')
      .and(page.locator('[data-active="true"]'))
      .waitFor({ timeout: 10_000 });
    expect(await state('session.running').getAttribute('data-active')).toBe('true');
    expect(await state('session.stopped').getAttribute('data-active')).toBe('false');
    await shot('machine-session');
    // A line makes it busy for a second, then it waits again: the light follows.
    await api('POST', `/api/sessions/${sessionId}/input`, { text: 'move' });
    await state('session.running.busy')
      .and(page.locator('[data-active="true"]'))
      .waitFor({ timeout: 5_000 });
    await state('session.running.awaiting_input')
      .and(page.locator('[data-active="true"]'))
      .waitFor({ timeout: 5_000 });
    expect(await page.getByTestId('transitions').locator('tbody tr').count()).toBeGreaterThan(0);
    // Every machine draws.
    for (const name of ['execution', 'step', 'engine', 'monitor', 'trigger']) {
      await page.getByTestId(`machine-tab-${name}`).click();
      await page.getByTestId(`statechart-${name}`).waitFor({ timeout: 10_000 });
    }
  }, 30_000);

  it("lists the API's routes from its own OpenAPI document", async () => {
    await page.goto(`${origin}/#/api`);
    await page.getByTestId('api-reference').getByText('/api/workflows/{id}/execute').waitFor();
    await shot('api-reference');
  }, 10_000);

  it('rides out a server restart: reconnects and catches up on what it missed', async () => {
    await page.goto(`${origin}/#/executions`);
    await page.getByTestId('connection').getByText('live').waitFor();
    const port = Number(new URL(server.url).port);
    const before = dash.problems.length;
    await server.close();
    await page.getByTestId('connection').getByText('reconnecting').waitFor({ timeout: 10_000 });
    // A run starts and ends while the page cannot hear about it.
    const { executionId } = await stator.execute('greet', { name: 'offline' });
    await stator.waitForExecution(executionId, { timeoutMs: 10_000 });
    server = await startHttpServer({ app: createHttpApp({ stator, apiToken: TOKEN }), port });
    await page.getByTestId('connection').getByText('live').waitFor({ timeout: 15_000 });
    // Replayed from Last-Event-ID: the run is listed, finished, without a reload of the page.
    await page.locator(`[data-execution="${executionId}"]`).getByText('completed').waitFor({
      timeout: 10_000,
    });
    // The cut stream, refused connections and 503s of the closing server are the network's.
    const during = dash.problems.splice(before);
    expect(during.filter((p) => !/net::ERR_|status of 503/.test(p))).toEqual([]);
  }, 40_000);

  it('left no request off the server and raised no error', () => {
    expect(dash.offsite).toEqual([]);
    expect(dash.problems).toEqual([]);
  });
});

/**
 * The dashboard's routes: the page and its hashed assets with their types, caching and
 * security headers; a name that is not in the bundle (or tries to climb out of it) is a 404;
 * no bundle at all is a 503 naming the fix; and the page needs no token while the API does.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStator } from '../../../src/index.ts';
import type { Stator } from '../../../src/runtime/types.ts';
import { createHttpApp } from '../../../src/http/index.ts';
import { DASHBOARD_CSP, dashboardRoutes } from '../../../src/http/dashboard-routes.ts';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stator-dash-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(
    join(dir, 'index.html'),
    '<!doctype html><script src="/assets/app-ABC.js"></script>',
  );
  writeFileSync(join(dir, 'assets', 'app-ABC.js'), 'console.log(1)');
  writeFileSync(join(dir, 'assets', 'app-ABC.css'), 'body{}');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dashboard routes', () => {
  it('serves the page, revalidated, under a strict policy', async () => {
    const res = await dashboardRoutes(dir).request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("default-src 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toContain('/assets/app-ABC.js');
  });

  it('serves hashed assets with their type, cached for good', async () => {
    const app = dashboardRoutes(dir);
    const js = await app.request('/assets/app-ABC.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await js.text()).toBe('console.log(1)');
    const css = await app.request('/assets/app-ABC.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });

  it('answers 404 for names outside the bundle, climbing ones included', async () => {
    const app = dashboardRoutes(dir);
    for (const path of ['/assets/nope.js', '/assets/..%2Findex.html', '/assets/../index.html']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(404);
    }
  });

  it('picks up a rebuild while serving', async () => {
    const app = dashboardRoutes(dir);
    expect((await app.request('/assets/app-ABC.js')).status).toBe(200);
    writeFileSync(join(dir, 'assets', 'app-NEW.js'), 'new');
    await new Promise((r) => setTimeout(r, 1100));
    expect(await (await app.request('/assets/app-NEW.js')).text()).toBe('new');
  });

  it('answers 503 with the fix when the bundle was never built', async () => {
    const res = await dashboardRoutes(join(dir, 'missing')).request('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
  });
});

describe('dashboard in the app', () => {
  let stator: Stator;
  beforeAll(async () => {
    stator = await createStator({ store: 'memory', rehydrate: false });
  });
  afterAll(() => stator.close());

  it('needs no token for the page, while the API keeps needing it', async () => {
    const app = createHttpApp({ stator, apiToken: 'secret-token-0123456789' });
    const page = await app.request('/');
    // Built or not, the page itself is open: 200 with the bundle, 503 without.
    expect([200, 503]).toContain(page.status);
    expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect((await app.request('/api/workflows')).status).toBe(401);
  });
});

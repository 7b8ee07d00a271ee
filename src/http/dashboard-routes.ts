/**
 * The dashboard: `GET /` answers the single page, `GET /assets/*` its bundled files, all read
 * from `dist/dashboard/` (made by `scripts/build-dashboard.js` at package build time, never
 * fetched from elsewhere). Hashed assets are cached for a year (`immutable`); the page itself is
 * revalidated on every load so a new build shows at once. Every answer carries a strict
 * Content-Security-Policy: scripts, styles and connections from this origin only.
 *
 * The assets are read on first request and kept in memory (a few hundred kB); a name not
 * found makes it read the folder again (a rebuild while serving), at most once a second. The
 * page is read on each request (half a kB), so it always names the current assets. When the
 * bundle is missing (a source checkout that never ran `npm run build`), `/` answers 503 with a
 * plain-text hint instead of a broken page.
 * @module
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';

/** The policy every dashboard answer carries. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Where the bundle lives: `dist/dashboard` from the source tree and from `dist/src/http`. */
export function dashboardDir(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [
    join(here, '..', '..', 'dashboard'),
    join(here, '..', '..', 'dist', 'dashboard'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')));
}

interface Bundle {
  assets: Map<string, Buffer>;
}

function loadBundle(dir: string): Bundle {
  const assets = new Map<string, Buffer>();
  const assetDir = join(dir, 'assets');
  if (existsSync(assetDir)) {
    for (const name of readdirSync(assetDir)) assets.set(name, readFileSync(join(assetDir, name)));
  }
  return { assets };
}

function secure(c: Context): void {
  c.header('Content-Security-Policy', DASHBOARD_CSP);
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Frame-Options', 'DENY');
}

/** Routes of the dashboard, mounted at the root: `/` and `/assets/*`. */
export function dashboardRoutes(dir: string | undefined = dashboardDir()): Hono {
  const app = new Hono();
  let bundle: Bundle | undefined;
  let loadedAt = 0;
  const current = (refresh = false): Bundle | undefined => {
    if (dir === undefined || !existsSync(join(dir, 'index.html'))) return undefined;
    if (bundle === undefined || (refresh && Date.now() - loadedAt > 1000)) {
      bundle = loadBundle(dir);
      loadedAt = Date.now();
    }
    return bundle;
  };

  const page = (c: Context): Response => {
    secure(c);
    if (current() === undefined || dir === undefined) {
      return c.text('dashboard not built: run `npm run build`\n', 503);
    }
    c.header('Cache-Control', 'no-cache');
    c.header('Content-Type', CONTENT_TYPES['.html']);
    return c.body(new Uint8Array(readFileSync(join(dir, 'index.html'))));
  };
  app.get('/', page);

  app.get('/assets/:name', (c) => {
    const name = c.req.param('name');
    const file = current()?.assets.get(name) ?? current(true)?.assets.get(name);
    if (file === undefined) return c.notFound();
    secure(c);
    c.header('Content-Type', CONTENT_TYPES[extname(name)] ?? 'application/octet-stream');
    // Every file name carries its content hash (esbuild's `[name]-[hash]`).
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.body(new Uint8Array(file));
  });
  return app;
}

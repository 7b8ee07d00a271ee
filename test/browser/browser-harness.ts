/**
 * What the browser tests share: the dashboard bundle made when missing or stale (a fresh clone
 * after `npm ci` has none until a build), Debian's headless Chromium driven by playwright-core,
 * with every request to a host other than the server refused and recorded, and the page's
 * errors (uncaught exceptions, console errors such as Content-Security-Policy violations)
 * collected for the test to assert empty.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ROOT = join(import.meta.dirname, '..', '..');
/** Screenshots, kept as the suite's artifacts (tmp/ is ignored by git). */
export const SHOTS = join(ROOT, 'tmp', 'browser');
export const CHROMIUM = '/usr/bin/chromium';

/** Builds dist/dashboard when a source is newer than it (or it is missing). */
export function buildDashboardIfStale(): void {
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-dashboard.js'), '--if-stale'], {
    cwd: ROOT,
    stdio: 'pipe',
  });
}

export interface DashboardBrowser {
  browser: Browser;
  page: Page;
  /** URLs the page tried to reach off the server (each refused). */
  offsite: string[];
  /** Page errors and console errors, in order. */
  problems: string[];
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Launches Chromium with one page that may reach `origin` only. */
export async function openDashboardBrowser(origin: string): Promise<DashboardBrowser> {
  mkdirSync(SHOTS, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  const offsite: string[] = [];
  const problems: string[] = [];
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(`${origin}/`)) return route.continue();
    offsite.push(url);
    return route.abort('blockedbyclient');
  });
  const page = await context.newPage();
  // The blocker itself is checked: a request to another host must be refused and recorded.
  const probe = await page.evaluate(
    "fetch('http://192.0.2.1/probe').then(() => 'reached', () => 'refused')",
  );
  if (probe !== 'refused' || !offsite.some((u) => u.startsWith('http://192.0.2.1/'))) {
    await browser.close();
    throw new Error(`the off-server request blocker does not work (${String(probe)})`);
  }
  offsite.length = 0;
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    // 401 (the login check) and 404 (a missing favicon, an id that does not exist) are answers.
    if (msg.type() === 'error' && !/status of (401|404)/.test(msg.text())) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  return {
    browser,
    page,
    offsite,
    problems,
    shot: async (name) => {
      await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
    },
    close: () => browser.close(),
  };
}

/** Signs in through the login prompt. */
export async function signIn(page: Page, origin: string, token: string): Promise<void> {
  await page.goto(`${origin}/`);
  await page.getByTestId('login-token').fill(token);
  await page.getByTestId('login-submit').click();
  await page.getByTestId('connection').getByText('live').waitFor();
}

/**
 * Resolves, in the page's clock (Date.now(), the same clock as the server's on one machine),
 * when `selector` first matches and the frame showing it is painted: a MutationObserver, then
 * the next animation frame, so the moment is not rounded to a poll of the test's own.
 */
export function whenShown(page: Page, selector: string, timeoutMs = 10_000): Promise<number> {
  return page.evaluate(
    `new Promise((resolve, reject) => {
      const sel = ${JSON.stringify(selector)};
      const done = () => requestAnimationFrame(() => resolve(Date.now()));
      if (document.querySelector(sel)) return done();
      const obs = new MutationObserver(() => {
        if (document.querySelector(sel)) { obs.disconnect(); done(); }
      });
      obs.observe(document.body, { subtree: true, childList: true, attributes: true });
      setTimeout(() => { obs.disconnect(); reject(new Error('not shown: ' + sel)); }, ${timeoutMs});
    })`,
  ) as Promise<number>;
}

/**
 * Goes to `hash` inside the page (a person following a link) and measures, in the page's
 * clock, how long until `selector` is painted: the dashboard's own time, without the test's
 * round trips to the browser.
 */
export async function timeToShow(page: Page, hash: string, selector: string): Promise<number> {
  const shown = whenShown(page, selector);
  // Both evaluations run in order on the page: the observer is in place before the navigation.
  const started = (await page.evaluate(
    `(() => { const t = Date.now(); location.hash = ${JSON.stringify(hash)}; return t; })()`,
  )) as number;
  return (await shown) - started;
}

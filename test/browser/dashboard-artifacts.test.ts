/**
 * A run's artifacts on its page, in a real browser (headless Chromium, a real server with a
 * token, SQLite store): a `run:` step writes random bytes, a text file whose name is markup,
 * and a symlink out of its directory, all declared in `artifacts:`. The page lists the kept
 * files with their sizes, shows the refused one with its reason as text, and the Download
 * button saves the bytes, fetched with the token (a plain link could not carry it) through an
 * object URL: the downloaded file is byte-identical to the one the step wrote. No request
 * leaves the server, and the page raises no error and no Content-Security-Policy violation.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { createStator } from '../../src/index.ts';
import type { Stator } from '../../src/runtime/types.ts';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../src/http/index.ts';
import { useTempDir } from '../helpers/use-stator.ts';
import {
  buildDashboardIfStale,
  openDashboardBrowser,
  signIn,
  type DashboardBrowser,
} from './browser-harness.ts';

const TOKEN = 'artifacts-browser-token-0123456789';
const MARKUP = '<img src=x onerror=window.__pwned=1>.txt';

let stator: Stator;
let server: HttpServerHandle;
let dash: DashboardBrowser;
let page: Page;
let origin: string;
let executionId: string;
const dir = useTempDir('stator-artifacts-browser-', { scope: 'suite' });

beforeAll(async () => {
  buildDashboardIfStale();
  stator = await createStator({ dataDir: join(dir.path, 'data'), rehydrate: false });
  server = await startHttpServer({ app: createHttpApp({ stator, apiToken: TOKEN }) });
  origin = new URL(server.url).origin;
  await stator.registerWorkflow({
    id: 'build',
    steps: [
      {
        id: 'make',
        cwd: dir.path,
        run: [
          'mkdir -p out',
          'head -c 70000 /dev/urandom > out/report.bin',
          `printf 'markup\\n' > 'out/${MARKUP}'`,
          'ln -s /etc/hostname out/leak',
        ].join('\n'),
        artifacts: ['out/*'],
      },
    ],
  });
  const { executionId: id } = await stator.execute('build');
  expect((await stator.waitForExecution(id, { timeoutMs: 30_000 })).status).toBe('completed');
  executionId = id;
  dash = await openDashboardBrowser(origin);
  page = dash.page;
  await signIn(page, origin, TOKEN);
}, 90_000);

afterAll(async () => {
  await dash?.close();
  await server?.close();
  await stator?.close({ stopProcesses: true });
});

describe("a run's artifacts in the dashboard", () => {
  it('lists them, shows the refused one with its reason, and downloads one', async () => {
    await page.goto(`${origin}/#/executions/${encodeURIComponent(executionId)}`);
    const list = page.getByTestId('artifacts');
    await list.waitFor({ timeout: 10_000 });
    const row = (name: string) => list.locator(`[data-testid="artifact-${name}"]`);
    await expect.poll(() => row('make/out/report.bin').textContent()).toContain('68.4 KiB');
    await expect
      .poll(() => row('make/out/leak').getByTestId('artifact-refused').textContent())
      .toBe('refused: a symlink leading outside the working directory');
    expect(await row('make/out/leak').locator('button').count()).toBe(0);
    // A name that is markup is shown as text.
    expect(await row(`make/out/${MARKUP}`).locator('code').textContent()).toBe(
      `make/out/${MARKUP}`,
    );
    expect(await list.locator('img').count()).toBe(0);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    await dash.shot('artifacts');

    const written = await readFile(join(dir.path, 'out', 'report.bin'));
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 10_000 }),
      page.getByTestId('download-make/out/report.bin').click(),
    ]);
    expect(download.suggestedFilename()).toBe('report.bin');
    const saved = await readFile(await download.path());
    expect(saved.length).toBe(written.length);
    expect(saved.equals(written)).toBe(true);

    const [second] = await Promise.all([
      page.waitForEvent('download', { timeout: 10_000 }),
      page.getByTestId(`download-make/out/${MARKUP}`).click(),
    ]);
    // Saved under the name the server's Content-Disposition and the CLI give it.
    expect(second.suggestedFilename()).toBe('_img_src_x_onerror_window.__pwned_1_.txt');
    expect(await readFile(await second.path(), 'utf8')).toBe('markup\n');
  }, 60_000);

  it('shows the error of a download the server refuses, beside its button', async () => {
    // The run's files are gone from the store (as after retention): the button says why.
    await rm(join(dir.path, 'data', 'artifacts'), { recursive: true, force: true });
    await page.getByTestId('download-make/out/report.bin').click();
    await expect
      .poll(() => page.getByTestId('artifact-make/out/report.bin').getByRole('alert').textContent())
      .toContain('not found');
    // The 404 is the answer this test asked for, not a fault of the page.
    const i = dash.problems.findIndex((p) => /status of 404/.test(p));
    if (i >= 0) dash.problems.splice(i, 1);
  }, 30_000);

  it('left no request off the server and raised no error', () => {
    expect(dash.offsite).toEqual([]);
    expect(dash.problems).toEqual([]);
  });
});

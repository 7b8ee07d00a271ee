/**
 * Shared setup and teardown for integration tests. `useStator()`, called in a describe block
 * (or at the top of a file), registers vitest hooks that start a Stator (embedded, on a fresh
 * temp data directory: see startStator) before each test, once for the suite, or when the test
 * calls `start()`, and that close it, its bus and its temp directories afterwards. The handle
 * it returns always points at the current service. `useTempDir()` is the same for a directory
 * alone.
 * @module
 */
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createMemoryBus, type Bus } from '../../src/index.ts';
import { startStator, type TestStator, type TestStatorOptions } from './stator.ts';

/** Options of useStator: the service's options plus when to start it. */
export interface UseStatorOptions extends TestStatorOptions {
  /**
   * `each`: a fresh service before each test, closed after it. `suite`: one service for the
   * tests of the enclosing describe block (or file). `manual`: the test calls `start()`, with
   * options of its own; whatever it started is closed after the test.
   * @default 'each'
   */
  start?: 'each' | 'suite' | 'manual';
  /** Run the service on a memory bus the test can reach as `bus` (closed after the service). */
  memoryBus?: boolean;
  /** Workflow definitions to register once the service is up. */
  workflows?: readonly unknown[];
}

/** The current service of a useStator() fixture (see TestStator), plus test resources. */
export interface StatorFixture extends Omit<TestStator, typeof Symbol.asyncDispose> {
  /** The memory bus of the service (needs `memoryBus: true`); usable before `start()`. */
  readonly bus: Bus;
  /** A fresh directory for the test's own files (pid files, gates), made on first use. */
  readonly files: string;
  /** Another fresh directory, removed with the rest once the service is closed. */
  tempDir(prefix?: string): string;
  /** Starts a service with these options over the fixture's (the `manual` way to start). */
  start(overrides?: Partial<TestStatorOptions>): Promise<TestStator>;
}

/** Temporary directories made on demand and removed together. */
class TempDirs {
  readonly #paths: string[] = [];

  make(prefix: string): string {
    const path = mkdtempSync(join(tmpdir(), prefix));
    this.#paths.push(path);
    return path;
  }

  async removeAll(): Promise<void> {
    for (const path of this.#paths.splice(0)) await rm(path, { recursive: true, force: true });
  }
}

/** Registers the start and teardown hooks of a Stator and returns a handle on it. */
export function useStator(options: UseStatorOptions = {}): StatorFixture {
  const { start: when = 'each', memoryBus = false, workflows = [], ...base } = options;
  const dirs = new TempDirs();
  const started: TestStator[] = [];
  let bus: Bus | undefined;
  let files: string | undefined;

  const current = (): TestStator => {
    const harness = started.at(-1);
    if (harness) return harness;
    throw new Error(
      when === 'manual' ? 'useStator: call start() first' : 'useStator: used outside a test',
    );
  };
  const getBus = (): Bus => {
    if (!memoryBus) throw new Error('useStator: pass memoryBus: true to get a bus');
    bus ??= createMemoryBus();
    return bus;
  };

  const start = async (overrides: Partial<TestStatorOptions> = {}): Promise<TestStator> => {
    const harness = await startStator({
      ...base,
      ...(memoryBus && { bus: getBus() }),
      ...overrides,
    });
    started.push(harness);
    for (const definition of workflows) await harness.stator.registerWorkflow(definition);
    return harness;
  };

  const teardown = async (): Promise<void> => {
    const errors: unknown[] = [];
    const attempt = async (step: () => Promise<void> | undefined) => {
      try {
        await step();
      } catch (err) {
        errors.push(err);
      }
    };
    for (const harness of started.splice(0).reverse()) await attempt(() => harness.close());
    await attempt(() => bus?.close());
    bus = files = undefined;
    await attempt(() => dirs.removeAll());
    if (errors.length > 0) throw errors[0];
  };

  if (when === 'suite') {
    beforeAll(async () => void (await start()));
    afterAll(teardown);
  } else {
    if (when === 'each') beforeEach(async () => void (await start()));
    afterEach(teardown);
  }

  return {
    get stator() {
      return current().stator;
    },
    get dataDir() {
      return current().dataDir;
    },
    get events() {
      return current().events;
    },
    get processes() {
      return current().processes;
    },
    get bus() {
      return getBus();
    },
    get files() {
      files ??= dirs.make('stator-rt-files-');
      return files;
    },
    tempDir: (prefix = 'stator-rt-') => dirs.make(prefix),
    start,
    eventsOf: (executionId) => current().eventsOf(executionId),
    waitForEvent: (pred, timeoutMs) => current().waitForEvent(pred, timeoutMs),
    finish: (executionId, timeoutMs) => current().finish(executionId, timeoutMs),
    run: (workflowId, input, timeoutMs) => current().run(workflowId, input, timeoutMs),
    restart: (overrides) => current().restart(overrides),
    close: () => current().close(),
  };
}

/** Registers hooks for a temp directory made on first use and removed after the test or suite. */
export function useTempDir(
  prefix = 'stator-test-',
  { scope = 'test' }: { scope?: 'test' | 'suite' } = {},
): { readonly path: string } {
  const dirs = new TempDirs();
  let path: string | undefined;
  const remove = async () => {
    path = undefined;
    await dirs.removeAll();
  };
  if (scope === 'suite') afterAll(remove);
  else afterEach(remove);
  return {
    get path() {
      path ??= dirs.make(prefix);
      return path;
    },
  };
}

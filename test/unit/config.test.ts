import { describe, expect, it } from 'vitest';
import { parseArgs } from 'node:util';
import {
  CONFIG_FLAG_OPTIONS,
  DEFAULT_PORT,
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  resolveConfig,
  statorOptionsFromConfig,
} from '../../src/config.ts';
import { InvalidArgumentError } from '../../src/errors.ts';

/** The field paths of the InvalidArgumentError that `fn` throws. */
function paths(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidArgumentError);
    const details = (e as InvalidArgumentError).details as { issues: Array<{ path: string }> };
    return details.issues.map((i) => i.path);
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('resolveConfig', () => {
  it('fills the defaults', () => {
    const config = resolveConfig({ env: {} });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: DEFAULT_PORT,
      dataDir: './.stator',
      workflowsDir: 'examples',
      logLevel: 'info',
      engines: 2,
      slots: 8,
    });
    expect(config.apiToken).toBeUndefined();
    expect(config.natsUrl).toBeUndefined();
    expect(config.nodeName).toBeUndefined();
  });

  it('reads STATOR_* variables and PORT, coercing numbers', () => {
    const config = resolveConfig({
      env: {
        STATOR_HOST: '0.0.0.0',
        PORT: '9000',
        STATOR_DATA_DIR: '/tmp/s',
        STATOR_API_TOKEN: 'a-long-enough-token',
        STATOR_WORKFLOWS_DIR: 'flows',
        STATOR_LOG_LEVEL: 'debug',
        STATOR_ENGINES: '3',
        STATOR_SLOTS: '16',
        STATOR_NODE_NAME: 'node-1',
        STATOR_NATS_URL: 'nats://a:4222,nats://b:4222',
      },
    });
    expect(config).toEqual({
      host: '0.0.0.0',
      port: 9000,
      dataDir: '/tmp/s',
      apiToken: 'a-long-enough-token',
      workflowsDir: 'flows',
      logLevel: 'debug',
      engines: 3,
      slots: 16,
      nodeName: 'node-1',
      natsUrl: 'nats://a:4222,nats://b:4222',
      natsPrefix: 'stator',
      natsReplicas: 1,
      leaseTtl: 10_000,
      shutdownTimeout: DEFAULT_SHUTDOWN_TIMEOUT_MS,
      stopProcesses: false,
    });
  });

  it('lets flags win over env, and STATOR_PORT over PORT', () => {
    const { values } = parseArgs({
      args: ['--port', '7000', '--workflows', 'mine', '--data-dir', 'd'],
      options: CONFIG_FLAG_OPTIONS,
    });
    const config = resolveConfig({
      flags: values,
      env: { PORT: '1', STATOR_WORKFLOWS_DIR: 'theirs', STATOR_HOST: 'h' },
    });
    expect(config).toMatchObject({ port: 7000, workflowsDir: 'mine', dataDir: 'd', host: 'h' });
    expect(resolveConfig({ env: { PORT: '1', STATOR_PORT: '2' } }).port).toBe(2);
  });

  it('treats empty values as unset', () => {
    expect(resolveConfig({ flags: { port: '' }, env: { PORT: '' } }).port).toBe(DEFAULT_PORT);
  });

  it('names the flag or variable at fault', () => {
    expect(paths(() => resolveConfig({ flags: { port: 'eighty' }, env: {} }))).toEqual(['--port']);
    expect(paths(() => resolveConfig({ env: { PORT: '70000' } }))).toEqual(['PORT']);
    expect(
      paths(() =>
        resolveConfig({
          env: {
            STATOR_LOG_LEVEL: 'loud',
            STATOR_ENGINES: '0',
            STATOR_NATS_URL: 'http://x',
            STATOR_API_TOKEN: 'short',
          },
        }),
      ).sort(),
    ).toEqual(['STATOR_API_TOKEN', 'STATOR_ENGINES', 'STATOR_LOG_LEVEL', 'STATOR_NATS_URL']);
    const err = (() => {
      try {
        resolveConfig({ flags: { slots: '2.5' }, env: {} });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/^--slots: /);
  });

  it('sets maxSessions from STATOR_MAX_SESSIONS or --max-sessions, naming either at fault', () => {
    const fromEnv = resolveConfig({ env: { STATOR_MAX_SESSIONS: '7' } });
    expect(statorOptionsFromConfig(fromEnv)).toMatchObject({ maxSessions: 7 });
    const { values } = parseArgs({ args: ['--max-sessions', '3'], options: CONFIG_FLAG_OPTIONS });
    const fromFlag = resolveConfig({ flags: values, env: { STATOR_MAX_SESSIONS: '7' } });
    expect(statorOptionsFromConfig(fromFlag)).toMatchObject({ maxSessions: 3 });
    expect(statorOptionsFromConfig(resolveConfig({ env: {} })).maxSessions).toBeUndefined();
    expect(paths(() => resolveConfig({ env: { STATOR_MAX_SESSIONS: '0' } }))).toEqual([
      'STATOR_MAX_SESSIONS',
    ]);
    expect(paths(() => resolveConfig({ flags: { 'max-sessions': 'many' }, env: {} }))).toEqual([
      '--max-sessions',
    ]);
  });

  it('maps to service options', () => {
    const config = resolveConfig({ env: { STATOR_NODE_NAME: 'n1', STATOR_SLOTS: '4' } });
    expect(statorOptionsFromConfig(config)).toEqual({
      dataDir: './.stator',
      engines: 2,
      slotsPerEngine: 4,
      node: 'n1',
      // The drain fits in the shutdown timeout (10 s), with the kill grace and a second left.
      shutdownGraceMs: 7000,
    });
  });

  it('reads the lease TTL as a duration, 10 s by default, between 1 s and 10 min', () => {
    expect(resolveConfig({ env: {} }).leaseTtl).toBe(10_000);
    expect(resolveConfig({ env: { STATOR_LEASE_TTL: '3s' } }).leaseTtl).toBe(3000);
    const { values } = parseArgs({ args: ['--lease-ttl', '1500ms'], options: CONFIG_FLAG_OPTIONS });
    expect(resolveConfig({ flags: values, env: { STATOR_LEASE_TTL: '9s' } }).leaseTtl).toBe(1500);
    for (const bad of ['soon', '500ms', '11m', '0']) {
      expect(
        paths(() => resolveConfig({ env: { STATOR_LEASE_TTL: bad } })),
        bad,
      ).toEqual(['STATOR_LEASE_TTL']);
    }
  });

  it('reads the shutdown timeout as a duration or plain milliseconds, 10 s by default', () => {
    expect(resolveConfig({ env: {} }).shutdownTimeout).toBe(10_000);
    expect(resolveConfig({ env: { STATOR_SHUTDOWN_TIMEOUT: '3s' } }).shutdownTimeout).toBe(3000);
    expect(resolveConfig({ env: { STATOR_SHUTDOWN_TIMEOUT: '1m30s' } }).shutdownTimeout).toBe(
      90_000,
    );
    expect(resolveConfig({ env: { STATOR_SHUTDOWN_TIMEOUT: '2500' } }).shutdownTimeout).toBe(2500);
    const { values } = parseArgs({
      args: ['--shutdown-timeout', '500ms'],
      options: CONFIG_FLAG_OPTIONS,
    });
    const fromFlag = resolveConfig({ flags: values, env: { STATOR_SHUTDOWN_TIMEOUT: '9s' } });
    expect(fromFlag.shutdownTimeout).toBe(500);
    // A short timeout leaves no drain at all; the stop itself still fits.
    expect(statorOptionsFromConfig(fromFlag).shutdownGraceMs).toBe(0);
    expect(statorOptionsFromConfig(resolveConfig({ env: {} })).shutdownGraceMs).toBe(7000);
    for (const bad of ['soon', '-1s', '0', '50ms', '11m']) {
      expect(
        paths(() => resolveConfig({ env: { STATOR_SHUTDOWN_TIMEOUT: bad } })),
        bad,
      ).toEqual(['STATOR_SHUTDOWN_TIMEOUT']);
    }
    expect(paths(() => resolveConfig({ flags: { 'shutdown-timeout': 'x' }, env: {} }))).toEqual([
      '--shutdown-timeout',
    ]);
  });

  it('takes --stop-processes as a flag without a value, STATOR_STOP_PROCESSES as true/false', () => {
    expect(resolveConfig({ env: {} }).stopProcesses).toBe(false);
    const { values } = parseArgs({ args: ['--stop-processes'], options: CONFIG_FLAG_OPTIONS });
    expect(resolveConfig({ flags: values, env: {} }).stopProcesses).toBe(true);
    for (const [text, value] of [
      ['true', true],
      ['1', true],
      ['YES', true],
      ['false', false],
      ['0', false],
      ['no', false],
    ] as const) {
      expect(resolveConfig({ env: { STATOR_STOP_PROCESSES: text } }).stopProcesses, text).toBe(
        value,
      );
    }
    expect(paths(() => resolveConfig({ env: { STATOR_STOP_PROCESSES: 'maybe' } }))).toEqual([
      'STATOR_STOP_PROCESSES',
    ]);
  });
});

describe('artifact and circuit breaker settings', () => {
  it('reads sizes with units and durations, and passes them to the service', () => {
    const config = resolveConfig({
      flags: { 'artifact-max-file': '2MiB', 'http-breaker-cool-down': '5s' },
      env: { STATOR_ARTIFACT_MAX_RUN: '3000000', STATOR_HTTP_BREAKER_FAILURES: '0' },
    });
    const options = statorOptionsFromConfig(config);
    expect(options.artifacts).toEqual({ maxFileBytes: 2 * 1024 * 1024, maxRunBytes: 3_000_000 });
    expect(options.circuitBreaker).toEqual({ failures: 0, coolDownMs: 5000 });
  });

  it('refuses a malformed size by its flag', () => {
    expect(() => resolveConfig({ flags: { 'artifact-max-file': '-1' }, env: {} })).toThrow(
      /--artifact-max-file/,
    );
    expect(() => resolveConfig({ env: { STATOR_ARTIFACT_MAX_RUN: '10 parsecs' } })).toThrow(
      /STATOR_ARTIFACT_MAX_RUN/,
    );
  });
});

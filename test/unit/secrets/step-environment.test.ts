import { describe, expect, it } from 'vitest';
import {
  BASE_ENV_NAMES,
  DEFAULT_PATH,
  baseEnvironment,
  passthroughNameProblem,
} from '../../../src/exec/index.ts';
import { resolveConfig, statorOptionsFromConfig } from '../../../src/config.ts';
import { resolveStatorOptions } from '../../../src/runtime/options.ts';
import { InvalidArgumentError } from '../../../src/errors.ts';
import { parseWorkflow, checkTemplates, stepEnvironment } from '../../../src/workflow/index.ts';

const server = {
  PATH: '/opt/bin:/usr/bin',
  HOME: '/home/stator',
  LANG: 'C.UTF-8',
  TZ: 'UTC',
  USER: 'stator',
  SHELL: '/bin/bash',
  STATOR_API_TOKEN: 'api-token-0123456789',
  STATOR_NATS_PASSWORD: 'nats-password',
  DEPLOY_HOOK_SECRET: 'hook-secret',
  HTTP_PROXY: 'http://proxy:3128',
};

describe('baseEnvironment', () => {
  it('takes only the base names and the passthrough, nothing of Stator', () => {
    expect(baseEnvironment([], server)).toEqual({
      PATH: '/opt/bin:/usr/bin',
      HOME: '/home/stator',
      LANG: 'C.UTF-8',
      TZ: 'UTC',
      USER: 'stator',
      SHELL: '/bin/bash',
    });
    const withProxy = baseEnvironment(['HTTP_PROXY', 'NOT_SET'], server);
    expect(withProxy.HTTP_PROXY).toBe('http://proxy:3128');
    expect(Object.keys(withProxy)).toEqual([...BASE_ENV_NAMES, 'HTTP_PROXY']);
    expect(Object.isFrozen(withProxy)).toBe(true);
  });

  it('gives a default PATH when the server has none', () => {
    expect(baseEnvironment([], {})).toEqual({ PATH: DEFAULT_PATH });
  });

  it('refuses passthrough names that are not names or are Stator configuration', () => {
    expect(passthroughNameProblem('HTTP_PROXY')).toBeUndefined();
    expect(passthroughNameProblem('STATOR_API_TOKEN')).toMatch(/Stator's own configuration/);
    expect(passthroughNameProblem('stator_nats_password')).toMatch(/Stator's own/);
    expect(passthroughNameProblem('A-B')).toMatch(/not an environment variable name/);
  });
});

describe('STATOR_STEP_ENV_PASSTHROUGH', () => {
  it('is resolved once in the config into the service options', () => {
    const config = resolveConfig({
      env: { STATOR_STEP_ENV_PASSTHROUGH: ' HTTP_PROXY, ,NO_PROXY ' },
    });
    expect(config.stepEnvPassthrough).toEqual(['HTTP_PROXY', 'NO_PROXY']);
    expect(statorOptionsFromConfig(config).stepEnvPassthrough).toEqual(['HTTP_PROXY', 'NO_PROXY']);
    expect(resolveConfig({ env: {} }).stepEnvPassthrough).toBeUndefined();
    expect(resolveConfig({ flags: { 'step-env-passthrough': 'A' } }).stepEnvPassthrough).toEqual([
      'A',
    ]);
  });

  it('refuses STATOR_* names, naming the variable', () => {
    expect(() =>
      resolveConfig({ env: { STATOR_STEP_ENV_PASSTHROUGH: 'HOME_X,STATOR_API_TOKEN' } }),
    ).toThrow(/STATOR_STEP_ENV_PASSTHROUGH: 'STATOR_API_TOKEN': Stator's own configuration/);
    expect(() => resolveStatorOptions({ stepEnvPassthrough: ['STATOR_NATS_TOKEN'] })).toThrow(
      InvalidArgumentError,
    );
  });
});

describe('stepEnvironment with a base and secrets', () => {
  const def = parseWorkflow({
    id: 'w',
    env: { HOME: '/workflow-home', A: 'wf' },
    secrets: { TOKEN: { env: 'DEPLOY_TOKEN' }, KEY: { file: '/run/secrets/key' } },
    steps: [{ id: 's', exec: ['curl', '-H', 'X-Token: ${{ env.TOKEN }}'], env: { B: 'step' } }],
  });

  it('layers base, env, inputs, secrets, then STATOR_*', () => {
    const env = stepEnvironment({
      def,
      step: def.steps[0]!,
      executionId: 'ex_1',
      attempt: 1,
      inputs: { n: 1 },
      base: { PATH: '/usr/bin', HOME: '/home/x' },
      secrets: { TOKEN: 't0k3n', KEY: 'k3y' },
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/workflow-home',
      A: 'wf',
      B: 'step',
      INPUT_N: '1',
      TOKEN: 't0k3n',
      KEY: 'k3y',
      STATOR_WORKFLOW_ID: 'w',
      STATOR_EXECUTION_ID: 'ex_1',
      STATOR_STEP_ID: 's',
      STATOR_ATTEMPT: '1',
    });
  });

  it('lets exec templates name a secret', () => {
    expect(checkTemplates(def)).toEqual([]);
  });

  it('keeps only the source of each secret in the definition', () => {
    expect(def.secrets).toEqual({
      TOKEN: { env: 'DEPLOY_TOKEN' },
      KEY: { file: '/run/secrets/key' },
    });
  });
});

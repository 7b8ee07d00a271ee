import { capturedStream } from '../../helpers/captured-stream.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHttpApp } from '../../../src/http/index.ts';
import { createLogger } from '../../../src/logger.ts';
import { SecretRegistry } from '../../../src/secrets/index.ts';
import { BASE_ENV_NAMES } from '../../../src/exec/index.ts';
import { useStator } from '../../helpers/use-stator.ts';
import { waitFor } from '../../helpers/poll.ts';

/** Values the server holds that no step may see. */
const SERVER_SECRETS = {
  STATOR_API_TOKEN: 'api-token-5b2d8e4f9a1c7730',
  STATOR_NATS_PASSWORD: 'nats-password-c0ffee-41',
  DEPLOY_HOOK_SECRET: 'hook-secret-9d8c7b6a5f',
};
const TOKEN = 'tok 3f9a/7c+2e=1b?x';
const FILE_SECRET = 'file-secret-77d1e0c4';
const MULTILINE = 'first-line-of-secret\nsecond-line-of-secret';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Every form of a value that must never show. */
function leaks(text: string, value: string): string[] {
  const forms = [
    value,
    b64(value),
    Buffer.from(value).toString('base64url'),
    encodeURIComponent(value),
    b64(`user:${value}`),
    ...value.split('\n'),
  ];
  return forms.filter((f) => text.includes(f));
}

/** A pino destination that keeps every line. */

const ENCODINGS = [
  'const t = process.env.TOKEN;',
  "console.log('b64 ' + Buffer.from(t).toString('base64'));",
  "console.log('b64url ' + Buffer.from(t).toString('base64url'));",
  "console.log('url ' + encodeURIComponent(t));",
  "console.log('form ' + new URLSearchParams({ q: t }));",
  "console.log('basic ' + Buffer.from('user:' + t).toString('base64'));",
].join('\n');

// With the process host (SQLite, the default) and with the in-process runner (memory store).
describe.each([
  { store: 'sqlite' as const, runner: 'process host' },
  { store: 'memory' as const, runner: 'in-process runner' },
])('runtime ($runner): step environments are built and secrets never leak', ({ store }) => {
  const t = useStator({ start: 'manual', memoryBus: true, store });
  const saved: Record<string, string | undefined> = {};
  const setEnv = (vars: Record<string, string>) => {
    for (const [k, v] of Object.entries(vars)) {
      saved[k] ??= process.env[k];
      process.env[k] = v;
    }
  };
  beforeAll(() => {
    setEnv({
      ...SERVER_SECRETS,
      SECRETS_IT_TOKEN: TOKEN,
      SECRETS_IT_SPLIT: 'abcdef',
      SECRETS_IT_PASS: 'passed-through',
      SECRETS_IT_NOT_PASSED: 'stays-home',
    });
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("a step running `env` sees the base, the passthrough and its own variables, none of the server's", async () => {
    await t.start({ stepEnvPassthrough: ['SECRETS_IT_PASS'] });
    await t.stator.registerWorkflow({
      id: 'show-env',
      env: { FROM_WORKFLOW: 'w' },
      steps: [{ id: 'env', exec: ['/usr/bin/env'], env: { FROM_STEP: 's' } }],
    });
    const { record } = await t.run('show-env', { who: 'me' });
    expect(record.status).toBe('completed');
    const lines = (await t.stator.logs(record.id)).trim().split('\n');
    const vars = new Map(
      lines.map((l) => l.replace(/^env stdout \| /, '')).map((l) => [l.split('=')[0]!, l]),
    );
    const allowed = new Set([
      ...BASE_ENV_NAMES,
      'SECRETS_IT_PASS',
      'FROM_WORKFLOW',
      'FROM_STEP',
      'INPUT_WHO',
      'STATOR_WORKFLOW_ID',
      'STATOR_EXECUTION_ID',
      'STATOR_STEP_ID',
      'STATOR_ATTEMPT',
      'STATOR_OUTPUT', // where the step may write its outputs
      'STATOR_HOST_PROC', // the process host's marker (reaping), not configuration
    ]);
    if (store === 'sqlite') expect(vars.has('STATOR_HOST_PROC')).toBe(true);
    expect([...vars.keys()].filter((name) => !allowed.has(name))).toEqual([]);
    expect(vars.get('SECRETS_IT_PASS')).toBe('SECRETS_IT_PASS=passed-through');
    expect(vars.get('INPUT_WHO')).toBe('INPUT_WHO=me');
    expect(vars.has('PATH')).toBe(true);
    const text = lines.join('\n');
    for (const [name, value] of Object.entries(SERVER_SECRETS)) {
      expect(text).not.toContain(name);
      expect(text).not.toContain(value);
    }
    expect(text).not.toContain('stays-home');
  });

  it("a session gets the same base environment, none of the server's variables", async () => {
    await t.start({ stepEnvPassthrough: ['SECRETS_IT_PASS'] });
    const session = await t.stator.sessions.create({
      name: 'env-session',
      command: ['/usr/bin/env'],
      restart: 'never',
      autostart: true,
      env: { FROM_SESSION: 's' },
    });
    const lines = await waitFor(
      async () => {
        const got = await t.stator.sessions.logs(session.id);
        const view = await t.stator.sessions.get(session.id);
        return view.status === 'stopped' && got.length > 0 ? got.map((l) => l.line) : undefined;
      },
      { timeoutMs: 10_000, message: 'session output' },
    );
    const names = lines.map((l) => l.split('=')[0]!);
    const allowed = new Set([
      ...BASE_ENV_NAMES,
      'SECRETS_IT_PASS',
      'FROM_SESSION',
      'STATOR_SESSION_ID',
      'STATOR_SESSION_NAME',
      'STATOR_HOST_PROC',
    ]);
    expect(names.filter((name) => !allowed.has(name))).toEqual([]);
    expect(lines).toContain('SECRETS_IT_PASS=passed-through');
    expect(lines).toContain('FROM_SESSION=s');
    for (const value of Object.values(SERVER_SECRETS))
      expect(lines.join('\n')).not.toContain(value);
  });

  it('a declared secret reaches the step and is masked in logs, events, records, APIs and the server log', async () => {
    const registry = new SecretRegistry();
    const log = capturedStream();
    const logger = createLogger({
      destination: log.stream,
      pretty: false,
      level: 'trace',
      redactor: registry,
    });
    await t.start({ logger, secretRegistry: registry });
    const onBus: string[] = [];
    const sub = t.bus.subscribe('stator.execution.*.out', (msg) => {
      onBus.push(new TextDecoder().decode(msg.data));
    });
    const keyFile = join(t.files, 'key');
    writeFileSync(keyFile, `${FILE_SECRET}\n`);
    const multiFile = join(t.files, 'multi');
    writeFileSync(multiFile, MULTILINE);
    await t.stator.registerWorkflow({
      id: 'secretive',
      secrets: {
        TOKEN: { env: 'SECRETS_IT_TOKEN' },
        KEY: { file: keyFile },
        MULTI: { file: multiFile },
      },
      steps: [
        // Proves the values arrived without printing them.
        {
          id: 'reached',
          run: 'printf "%s" "$TOKEN" | sha256sum; printf "%s" "$KEY" | sha256sum',
        },
        {
          id: 'print',
          needs: ['reached'],
          run: 'echo "t=$TOKEN k=$KEY" >&2; printf "%s\\n" "$MULTI"',
        },
        { id: 'encoded', needs: ['reached'], exec: [process.execPath, '-e', ENCODINGS] },
        // A spawn error naming the secret: the record's errors must not show it.
        { id: 'leaky', needs: ['print', 'encoded'], exec: ['${{ env.TOKEN }}-no-such-program'] },
      ],
    });
    const { record, events } = await t.run('secretive');
    sub.unsubscribe();

    const logs = await t.stator.logs(record.id);
    expect(logs).toContain(`reached stdout | ${sha256(TOKEN)}  -`);
    expect(logs).toContain(`reached stdout | ${sha256(FILE_SECRET)}  -`);
    expect(logs).toContain('print stderr | t=*** k=***');
    expect(logs).toContain('print stdout | ***\nprint stdout | ***\n');
    expect(logs).toMatch(/^encoded stdout \| b64 \*\*\*$/m);
    expect(logs).toMatch(/^encoded stdout \| url \*\*\*$/m);
    expect(logs).toMatch(/^encoded stdout \| form q=\*\*\*$/m);
    expect(logs).toMatch(/^encoded stdout \| basic \S*\*\*\*\S{0,2}$/m);

    expect(record.status).toBe('failed');
    expect(record.error?.message).toContain('***-no-such-program');
    const leaky = record.steps.find((s) => s.id === 'leaky');
    expect(leaky?.error).toContain('***-no-such-program');

    const fromApi = await t.stator.getExecution(record.id);
    const workflow = await t.stator.getWorkflow('secretive');
    expect(workflow.definition.secrets).toEqual({
      TOKEN: { env: 'SECRETS_IT_TOKEN' },
      KEY: { file: keyFile },
      MULTI: { file: multiFile },
    });
    const natsGet = await t.bus.request('stator.api.workflow.get', { id: 'secretive' });
    const natsLogs = await t.bus.request('stator.api.execution.logs', { id: record.id });
    const app = createHttpApp({ stator: t.stator });
    const httpGet = await (await app.request('/api/workflows/secretive')).text();
    const httpRun = await (await app.request(`/api/executions/${record.id}`)).text();
    expect(httpGet).toContain('SECRETS_IT_TOKEN');

    const everywhere: Record<string, string> = {
      logs,
      events: JSON.stringify(events),
      bus: onBus.join('\n'),
      record: JSON.stringify(record),
      execution: JSON.stringify(fromApi),
      workflow: JSON.stringify(workflow),
      natsGet: new TextDecoder().decode(natsGet.data),
      natsLogs: new TextDecoder().decode(natsLogs.data),
      httpGet,
      httpRun,
      serverLog: log.text(),
    };
    expect(onBus.some((e) => e.includes('step.stdout'))).toBe(true);
    expect(log.text()).toContain('workflow registered');
    expect(registry.size).toBeGreaterThanOrEqual(3);
    for (const [where, text] of Object.entries(everywhere)) {
      for (const value of [TOKEN, FILE_SECRET, MULTILINE]) {
        expect({ where, leaked: leaks(text, value) }).toEqual({ where, leaked: [] });
      }
    }
  });

  it('masks a value printed in two writes', async () => {
    await t.start();
    await t.stator.registerWorkflow({
      id: 'split',
      secrets: { SPLIT: { env: 'SECRETS_IT_SPLIT' } },
      steps: [{ id: 'two', run: "printf 'abc'; sleep 0.1; printf 'def\\n'; printf 'xabcdefx'" }],
    });
    const { record, events } = await t.run('split');
    expect(record.status).toBe('completed');
    expect(await t.stator.logs(record.id)).toBe('two stdout | ***\ntwo stdout | x***x\n');
    expect(JSON.stringify(events)).not.toContain('abcdef');
  });

  it('fails the run with secret_unavailable before any step starts', async () => {
    await t.start();
    const marker = join(t.files, 'ran');
    await t.stator.registerWorkflow({
      id: 'missing',
      secrets: {
        PRESENT: { env: 'SECRETS_IT_TOKEN' },
        ABSENT: { env: 'SECRETS_IT_NEVER_SET' },
        NOFILE: { file: join(t.files, 'no-such-file') },
      },
      steps: [
        { id: 'first', run: `touch ${marker}` },
        { id: 'second', needs: ['first'], run: `touch ${marker}` },
      ],
    });
    const { record, events } = await t.run('missing');
    expect(record.status).toBe('failed');
    expect(record.error).toMatchObject({ code: 'secret_unavailable', recoverable: false });
    expect(record.error?.message).toContain('SECRETS_IT_NEVER_SET is not set');
    expect(record.error?.details).toEqual({
      secrets: [
        { name: 'ABSENT', env: 'SECRETS_IT_NEVER_SET', reason: 'SECRETS_IT_NEVER_SET is not set' },
        {
          name: 'NOFILE',
          file: join(t.files, 'no-such-file'),
          reason: `${join(t.files, 'no-such-file')} cannot be read (ENOENT)`,
        },
      ],
    });
    expect(record.steps.map((s) => s.status)).toEqual(['skipped', 'skipped']);
    expect(events.map((e) => e.type)).not.toContain('step.started');
    expect(events.map((e) => e.type)).toContain('execution.failed');
    expect(existsSync(marker)).toBe(false);
    expect(JSON.stringify(record)).not.toContain(TOKEN);
  });
});

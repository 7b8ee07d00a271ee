/**
 * HostSessionProcess against a scripted host: what it reports for lines, unfinished lines and
 * exits, whichever comes first of the host's answer and its events.
 */
import { describe, expect, it } from 'vitest';
import type { AttachRequest, HeldProcessInfo, HostSpawnSpec } from '../../../src/host/index.ts';
import {
  HostSessionProcess,
  type SessionHost,
} from '../../../src/sessions/host-session-process.ts';

const info = (over: Partial<HeldProcessInfo> = {}): HeldProcessInfo => ({
  key: 'session:ses_1:1',
  state: 'running',
  pid: 4242,
  startTime: null,
  startedAt: 0,
  deadlineAt: null,
  stdin: 'open',
  exit: null,
  lost: null,
  spool: { firstOffset: 0, nextOffset: 0 },
  ...over,
});

/** A host whose spawn/attach run `script` with the handlers before answering with `partials`. */
function scriptedHost(script: (a: AttachRequest) => void, partials = { stdout: '', stderr: '' }) {
  const calls: string[] = [];
  const answer = (a: AttachRequest) => {
    script(a);
    return { process: info(), partials };
  };
  const host: SessionHost = {
    spawn: async (_spec: HostSpawnSpec, a?: AttachRequest) => {
      const attach = answer(a!);
      return { created: true, process: attach.process, attach };
    },
    attach: async (_key: string, a: AttachRequest) => answer(a),
    detach: async () => void calls.push('detach'),
    write: async (_key: string, data: string) => void calls.push(`write ${data}`),
    cancel: async () => void calls.push('cancel'),
    signal: async (_key: string, signal: string) => void calls.push(`signal ${signal}`),
  };
  return { host, calls };
}

function recorder() {
  const seen: string[] = [];
  return {
    seen,
    handlers: {
      line: (stream: string, line: string, offset: number, old: boolean) =>
        seen.push(`line ${stream} ${offset} ${line}${old ? ' (seen)' : ''}`),
      output: (stream: string, latest: string) => seen.push(`output ${stream} ${latest}`),
      progress: (next: number) => seen.push(`progress ${next}`),
      stdinClosed: () => seen.push('stdin closed'),
      exit: (code: number | null, signal: string | null) => seen.push(`exit ${code} ${signal}`),
    },
  };
}

const spec: HostSpawnSpec = { key: 'session:ses_1:1', argv: ['x'], cwd: '/', env: {} };
const opts = { handedOn: 0, graceMs: 100 };

describe('HostSessionProcess', () => {
  it('keeps a prompt that arrived before the answer to the spawn (the answer is older)', async () => {
    const { host } = scriptedHost((a) => a.handlers.partial?.('stdout', '> '));
    const r = recorder();
    const proc = new HostSessionProcess(host, spec.key, opts, r.handlers);
    expect(await proc.spawn(spec, 0)).toEqual({ ok: true, pid: 4242 });
    expect(r.seen).toEqual(['output stdout > ']);
    expect(proc.latest).toBe('> ');
  });

  it('takes the unfinished lines of the answer when no output came before it', async () => {
    let handlers!: AttachRequest['handlers'];
    const { host } = scriptedHost((a) => (handlers = a.handlers), {
      stdout: '',
      stderr: 'password: ',
    });
    const r = recorder();
    const proc = new HostSessionProcess(host, spec.key, opts, r.handlers);
    await proc.spawn(spec, 0);
    expect(proc.latest).toBe('password: ');
    handlers.partial?.('stderr', 'password: '); // pushed again after the answer: no change
    expect(r.seen).toEqual([]);
    handlers.partial?.('stderr', 'password: **');
    expect(r.seen).toEqual(['output stderr password: **']);
  });

  it('reports seen lines as such, news with output and progress, and a prompt ended by input as no news', async () => {
    const { host } = scriptedHost(() => undefined);
    const r = recorder();
    let handlers!: AttachRequest['handlers'];
    const capture: SessionHost = {
      ...host,
      attach: async (key, a) => {
        handlers = a.handlers;
        return host.attach(key, a);
      },
    };
    const proc = new HostSessionProcess(capture, spec.key, { ...opts, handedOn: 2 }, r.handlers);
    await proc.attach(info({ spool: { firstOffset: 0, nextOffset: 3 } }), 0);
    handlers.output?.(
      [
        ['stdout', 'a'],
        ['stdout', 'b'],
        ['stderr', 'c'],
      ],
      0,
      0,
    );
    handlers.partial?.('stdout', '> ');
    handlers.output?.([['stdout', '> ']], 3, 0); // the prompt, ended by a write
    handlers.exit?.(info({ state: 'exited', exit: exitInfo(3) }));
    expect(r.seen).toEqual([
      'line stdout 0 a (seen)',
      'line stdout 1 b (seen)',
      'line stderr 2 c',
      'output stderr c',
      'progress 3',
      'output stdout > ',
      'line stdout 3 > ',
      'progress 4',
      'exit 3 null',
    ]);
    expect(proc.stdinOpen).toBe(false);
  });

  it('writes through the host while stdin is open, and stops by cancelling', async () => {
    const { host, calls } = scriptedHost(() => undefined);
    let handlers!: AttachRequest['handlers'];
    const capture: SessionHost = {
      ...host,
      spawn: async (s, a, o) => {
        handlers = a!.handlers;
        return host.spawn(s, a, o);
      },
      cancel: async (key) => {
        await host.cancel(key);
        handlers.exit?.(info({ state: 'exited', exit: { ...exitInfo(null), signal: 'SIGTERM' } }));
      },
    };
    const r = recorder();
    const proc = new HostSessionProcess(capture, spec.key, opts, r.handlers);
    await proc.spawn(spec, 0);
    await proc.write('hi\n');
    handlers.stdinClosed?.();
    await expect(proc.write('more')).rejects.toMatchObject({ code: 'conflict' });
    await proc.stop(100);
    expect(calls).toEqual(['write hi\n', 'cancel']);
    expect(r.seen).toEqual(['stdin closed', 'exit null SIGTERM']);
    await proc.stop(100); // ended: nothing more to do
    expect(calls).toHaveLength(2);
  });
});

function exitInfo(code: number | null) {
  return {
    exitCode: code,
    signal: null,
    timedOut: false,
    cancelled: false,
    spawnError: null,
    endedAt: 0,
    durationMs: 1,
  };
}

/**
 * `stator start|stop|restart <session>` and `stator attach <session>`: a session's stdin from
 * this terminal and its output live, like `tmux attach`. Ctrl-] detaches (the session runs on);
 * so does the end of a piped stdin, after a moment for the last answers to arrive.
 * @module
 */
import { parseArgs } from 'node:util';
import { err, out } from '../cli-io.ts';
import { HELP } from '../help.ts';
import {
  REMOTE_OPTIONS,
  readText,
  request,
  requestJson,
  resolveRemote,
  type Remote,
} from './api-client.ts';

/** The detach key: Ctrl-] (GS), as telnet and docker use it. */
const DETACH = 0x1d;
/** After a piped stdin ends, how long output is still shown before detaching. */
const LINGER_MS = 1000;
/** How often an attached session's status is checked (it may stop on its own). */
const STATUS_POLL_MS = 1000;
const ENDED = new Set(['stopped', 'failed', 'crashed']);

interface SessionBrief {
  id: string;
  name: string;
  status: string;
  pid: number | null;
}

const sessionPath = (id: string) => `/api/sessions/${encodeURIComponent(id)}`;

/** Runs `stator start|stop|restart <session>`. */
export async function sessionAction(
  action: 'start' | 'stop' | 'restart',
  args: string[],
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: REMOTE_OPTIONS,
  });
  if (values.help) return (out(HELP.session!), 0);
  if (positionals[0] === undefined) return (err(HELP.session!), 2);
  const remote = resolveRemote(values);
  const s = await requestJson<SessionBrief>(
    remote,
    'POST',
    `${sessionPath(positionals[0])}/${action}`,
  );
  out(`${s.id} ${s.name}: ${s.status}${s.pid === null ? '' : ` (pid ${s.pid})`}`);
  return 0;
}

/** Sends input chunks in order, one request at a time. */
function inputSender(
  remote: Remote,
  id: string,
): { send(text: string): void; drained(): Promise<void> } {
  let chain = Promise.resolve();
  return {
    send(text) {
      chain = chain.then(() =>
        requestJson(remote, 'POST', `${sessionPath(id)}/input`, { text, newline: false }).then(
          () => undefined,
          (e: Error) => err(`[input not delivered: ${e.message}]`),
        ),
      );
    },
    drained: () => chain,
  };
}

/** Runs `stator attach <session>`; resolves with the exit code once detached. */
export async function attachCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: REMOTE_OPTIONS,
  });
  if (values.help) return (out(HELP.attach!), 0);
  const id = positionals[0];
  if (id === undefined) return (err(HELP.attach!), 2);
  const remote = resolveRemote(values);
  const session = await requestJson<SessionBrief>(remote, 'GET', sessionPath(id));
  const recent = await requestJson<{ items: Array<{ seq: number }> }>(
    remote,
    'GET',
    `${sessionPath(id)}/logs?format=json`,
  );
  const last = recent.items.at(-1)?.seq ?? 0;
  // A little context, as a terminal multiplexer shows the screen it re-attaches to.
  const since = Math.max(0, last - 10);

  const abort = new AbortController();
  let detached!: (code: number) => void;
  const done = new Promise<number>((resolve) => (detached = resolve));
  const finish = (code: number, note?: string) => {
    if (note) err(note);
    abort.abort();
    detached(code);
  };

  err(`[attached to ${session.name} (${session.id}), ${session.status}; Ctrl-] detaches]`);
  const output = (async () => {
    const res = await request(
      remote,
      'GET',
      `${sessionPath(id)}/logs?follow=1&since=${since}`,
      undefined,
      {
        accept: 'text/plain',
        signal: abort.signal,
      },
    );
    let buffer = '';
    for await (const text of readText(res)) {
      buffer += text;
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const bar = line.indexOf(' | ');
        const stream = bar < 0 ? 'stdout' : line.slice(0, bar);
        const body = bar < 0 ? line : line.slice(bar + 3);
        (stream === 'stderr' ? process.stderr : process.stdout).write(`${body}\n`);
      }
    }
    finish(0, '[the session was deleted]');
  })().catch((e: Error) => {
    if (e.name !== 'AbortError') finish(1, `[output: ${e.message}]`);
  });

  const input = inputSender(remote, id);
  const stdin = process.stdin;
  const tty = stdin.isTTY === true;
  if (tty) stdin.setRawMode(true);
  const onData = (chunk: Buffer) => {
    const at = chunk.indexOf(DETACH);
    const part = at < 0 ? chunk : chunk.subarray(0, at);
    if (part.length > 0)
      input.send(tty ? part.toString('utf8').replace(/\r/g, '\n') : part.toString('utf8'));
    if (at >= 0) void input.drained().then(() => finish(0, '[detached]'));
  };
  const onEnd = () =>
    void input
      .drained()
      .then(() => setTimeout(() => finish(0, '[detached: end of input]'), LINGER_MS).unref());
  stdin.on('data', onData);
  stdin.once('end', onEnd);
  const poll = setInterval(() => {
    void requestJson<SessionBrief>(remote, 'GET', sessionPath(id)).then(
      (s) => ENDED.has(s.status) && finish(0, `[session ${s.status}]`),
      () => undefined,
    );
  }, STATUS_POLL_MS);

  const code = await done;
  clearInterval(poll);
  stdin.off('data', onData);
  stdin.off('end', onEnd);
  if (tty) stdin.setRawMode(false);
  stdin.pause();
  await output;
  return code;
}

/**
 * The http circuit breaker in a running service, against a real node:http server returning 500:
 * a step's retries open the host's breaker (a `circuit.opened` event of the run), the next
 * attempts fail fast with `circuit_open` without reaching the server, and after the cool-down
 * (short here) a run's call is the trial that closes it (`circuit.closed`).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useStator } from '../../helpers/use-stator.ts';

let server: Server;
let base = '';
let hits = 0;
let status = 500;

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits++;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('http circuit breaker in the service', () => {
  const t = useStator({ circuitBreaker: { failures: 2, coolDownMs: 400 } });

  it('opens on repeated 500s, fails retries fast, and closes after the cool-down', async () => {
    await t.stator.registerWorkflow({
      id: 'probe',
      steps: [
        { id: 'call', retry: { attempts: 4, backoff: '10ms' }, http: { url: `${base}/health` } },
      ],
    });
    const failed = await t.run('probe');
    expect(failed.record.status).toBe('failed');
    // Two attempts reached the server; the other two failed fast.
    expect(hits).toBe(2);
    const step = failed.record.steps.find((s) => s.id === 'call')!;
    expect(step.attempts).toBe(4);
    expect(step.error).toMatch(
      /^circuit_open: http: http:\/\/127\.0\.0\.1:\d+ failed 2 times in a row/,
    );
    const opened = failed.events.filter((e) => e.type === 'circuit.opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({
      host: base,
      failures: 2,
      stepId: 'call',
      severity: 'warning',
    });

    status = 200;
    await new Promise((r) => setTimeout(r, 450));
    const ok = await t.run('probe');
    expect(ok.record.status).toBe('completed');
    expect(hits).toBe(3);
    expect(ok.events.filter((e) => e.type === 'circuit.closed')).toEqual([
      expect.objectContaining({ host: base, stepId: 'call' }),
    ]);
  });
});

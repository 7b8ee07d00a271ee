/**
 * Child process of deep-yaml-crash.test.ts: a fresh service and HTTP server (so V8 has compiled
 * none of the YAML package's regular expressions yet), then the reported attack: nested `[`
 * YAML bodies, twice each, to POST /api/sessions and /api/workflows. Prints the answers as one
 * JSON line and exits 0; before the input bounds, V8 aborted the process here ("FATAL ERROR:
 * RegExpCompiler Allocation failed").
 */
import { createStator } from '../../../src/index.ts';
import { createHttpApp, startHttpServer } from '../../../src/http/index.ts';

const stator = await createStator({ store: 'memory', node: 'deep-yaml', shutdownGraceMs: 0 });
const server = await startHttpServer({ app: createHttpApp({ stator }), port: 0 });
const bodies = [
  '['.repeat(2048),
  '['.repeat(2048),
  '['.repeat(1024) + ']'.repeat(1024),
  '- '.repeat(1500),
  `name: x\ncommand: ${'['.repeat(2000)}`,
];
const answers: Array<{ path: string; status: number; code?: string; bound?: string }> = [];
for (const body of bodies) {
  for (const path of ['/api/sessions', '/api/workflows']) {
    for (let i = 0; i < 2; i++) {
      const res = await fetch(server.url + path, {
        method: 'POST',
        headers: { 'content-type': 'application/yaml' },
        body,
      });
      const json = (await res.json()) as {
        error?: { code?: string; details?: { bound?: string } };
      };
      answers.push({
        path,
        status: res.status,
        code: json.error?.code,
        bound: json.error?.details?.bound,
      });
    }
  }
}
await server.close();
await stator.close();
process.stdout.write(`${JSON.stringify(answers)}\n`);

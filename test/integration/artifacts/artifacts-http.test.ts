/**
 * Artifacts end to end over real HTTP (SQLite store, process host): a `run:` step writes files
 * in its working directory, the run completes, the record lists them (with a symlink out of the
 * directory refused), and the kept file downloads byte-identical with safe headers; traversal
 * attempts, refused or unknown names and unknown runs are 400/404; the API token guards the
 * download like every route. A failed step's files are kept too. Retention takes a pruned
 * run's artifacts with it.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createHttpApp, startHttpServer, type HttpServerHandle } from '../../../src/http/index.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator } from '../../helpers/use-stator.ts';

const TOKEN = 'artifact-test-token-0123456789';
const AUTH = { authorization: `Bearer ${TOKEN}` };

describe('artifacts over HTTP', () => {
  const t = useStator();
  let server: HttpServerHandle | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('lists a kept file in the record and serves it byte-identical; refuses traversal', async () => {
    const cwd = t.tempDir('stator-artifact-cwd-');
    await t.stator.registerWorkflow({
      id: 'build',
      steps: [
        {
          id: 'make',
          cwd,
          run: [
            'mkdir -p out',
            // 200 KiB of random bytes (every byte value), and a link to a file outside.
            'head -c 204800 /dev/urandom > out/report.bin',
            'ln -s /etc/hostname out/leak',
            'echo notes > "out/we ird\\"name.txt"',
          ].join('\n'),
          artifacts: ['out/*'],
        },
      ],
    });
    const { record } = await t.run('build');
    expect(record.status).toBe('completed');
    const onDisk = await readFile(join(cwd, 'out', 'report.bin'));
    expect(onDisk.length).toBe(204_800);
    const sha256 = createHash('sha256').update(onDisk).digest('hex');

    server = await startHttpServer({ app: createHttpApp({ stator: t.stator, apiToken: TOKEN }) });
    const get = (path: string, headers: Record<string, string> = AUTH) =>
      fetch(`${server!.url}${path}`, { headers });
    const id = record.id;

    const detail = (await (await get(`/api/executions/${id}`)).json()) as {
      steps: Array<{ id: string; artifacts?: unknown[] }>;
    };
    const artifacts = detail.steps.find((s) => s.id === 'make')!.artifacts;
    expect(artifacts).toEqual(
      expect.arrayContaining([
        { name: 'make/out/report.bin', size: onDisk.length, sha256 },
        {
          name: 'make/out/leak',
          size: 0,
          refused: 'a symlink leading outside the working directory',
        },
      ]),
    );
    expect(artifacts).toHaveLength(3);
    const listing = (await (await get(`/api/executions/${id}/artifacts`)).json()) as {
      artifacts: Array<{ stepId: string; name: string }>;
    };
    expect(listing.artifacts.map((a) => a.name).sort()).toEqual([
      'make/out/leak',
      'make/out/report.bin',
      'make/out/we ird"name.txt',
    ]);
    expect(listing.artifacts.every((a) => a.stepId === 'make')).toBe(true);

    for (const path of ['make/out/report.bin', 'make%2Fout%2Freport.bin']) {
      const res = await get(`/api/executions/${id}/artifacts/${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('content-length')).toBe(String(onDisk.length));
      expect(res.headers.get('content-disposition')).toBe('attachment; filename="report.bin"');
      expect(Buffer.from(await res.arrayBuffer()).equals(onDisk)).toBe(true);
    }
    const odd = await get(
      `/api/executions/${id}/artifacts/${encodeURIComponent('make/out/we ird"name.txt')}`,
    );
    expect(odd.status).toBe(200);
    expect(odd.headers.get('content-disposition')).toBe('attachment; filename="we_ird_name.txt"');
    expect(await odd.text()).toBe('notes\n');

    // Traversal and names the record does not list as kept.
    for (const path of [
      'make/%2E%2E/%2E%2E/stator.db',
      'make%2F..%2F..%2Fstator.db',
      '..%2F..%2Fstator.db',
      'make/out%5C..%5Creport.bin',
    ]) {
      const res = await get(`/api/executions/${id}/artifacts/${path}`);
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('not_found');
    }
    expect((await get(`/api/executions/${id}/artifacts/make/out/leak`)).status).toBe(404);
    expect((await get(`/api/executions/${id}/artifacts/make/out/nothing`)).status).toBe(404);
    expect((await get(`/api/executions/nope/artifacts/make/out/report.bin`)).status).toBe(404);
    // The API token guards downloads like every other route.
    expect((await get(`/api/executions/${id}/artifacts/make/out/report.bin`, {})).status).toBe(401);
  });

  it("keeps a failed step's files (for debugging)", async () => {
    const cwd = t.tempDir('stator-artifact-cwd-');
    await t.stator.registerWorkflow({
      id: 'broken',
      steps: [{ id: 'f', cwd, run: 'echo trace > debug.log; exit 3', artifacts: ['debug.log'] }],
    });
    const { record } = await t.run('broken');
    expect(record.status).toBe('failed');
    const step = record.steps.find((s) => s.id === 'f')!;
    expect(step.artifacts).toEqual([
      {
        name: 'f/debug.log',
        size: 6,
        sha256: createHash('sha256').update('trace\n').digest('hex'),
      },
    ]);
    const got = await t.stator.artifacts!.get(record.id, 'f/debug.log');
    expect(got?.size).toBe(6);
    got?.stream.destroy();
  });
});

describe('artifacts of a retry run', () => {
  const t = useStator();

  it("serves a kept step's files from the run it was kept from", async () => {
    const cwd = t.tempDir('stator-artifact-cwd-');
    await t.stator.registerWorkflow({
      id: 'two',
      steps: [
        { id: 'a', cwd, run: 'echo first > a.txt', artifacts: ['a.txt'] },
        { id: 'b', needs: ['a'], cwd, run: 'test -f go' },
      ],
    });
    const first = (await t.run('two')).record;
    expect(first.status).toBe('failed');
    await writeFile(join(cwd, 'go'), '');
    await writeFile(join(cwd, 'a.txt'), 'changed since\n');
    const { executionId } = await t.stator.retry(first.id);
    const retried = await t.finish(executionId);
    expect(retried.status).toBe('completed');
    const a = retried.steps.find((s) => s.id === 'a')!;
    expect(a.reused).toBe(true);
    const res = await createHttpApp({ stator: t.stator }).request(
      `/api/executions/${executionId}/artifacts/a/a.txt`,
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('first\n');
  });
});

describe('artifacts and retention', () => {
  const t = useStator({
    retention: { keep: '1 runs', firstPassDelayMs: 50, intervalMs: 50, batchSize: 10 },
  });

  it("removes a pruned run's artifacts with it", async () => {
    const cwd = t.tempDir('stator-artifact-cwd-');
    await t.stator.registerWorkflow({
      id: 'keep',
      steps: [{ id: 'a', cwd, run: 'echo $STATOR_EXECUTION_ID > id.txt', artifacts: ['id.txt'] }],
    });
    const first = (await t.run('keep')).record;
    expect(existsSync(join(t.dataDir, 'artifacts', first.id))).toBe(true);
    const second = (await t.run('keep')).record;
    await waitFor(async () => (await t.stator.listExecutions()).items.length === 1);
    await waitFor(() => !existsSync(join(t.dataDir, 'artifacts', first.id)));
    const kept = await t.stator.artifacts!.get(second.id, 'a/id.txt');
    expect(kept?.size).toBeGreaterThan(0);
    kept?.stream.destroy();
  });
});

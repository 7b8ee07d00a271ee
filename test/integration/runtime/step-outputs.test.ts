/**
 * Step outputs end to end, with real processes and a SQLite store: a `run` step writes
 * `$STATOR_OUTPUT`, an `outputs: json` step prints JSON, and a later `exec` step reads both
 * through `STEPS_<ID>_<KEY>` and an argv template; the record shows them and no output file is
 * left behind. Outputs over the bound fail the step once (no retry). And across a kill -9 of
 * the server (`stator serve` in a child process) between the step that wrote an output and the
 * step that reads it: the restarted server hands the stored output on.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChaosApi } from '../../chaos/api.ts';
import { startServer, type ServerProcess } from '../../chaos/server-process.ts';
import { waitFor } from '../../helpers/poll.ts';
import { useStator, useTempDir } from '../../helpers/use-stator.ts';

const READER = {
  id: 'b',
  needs: ['a', 'j'],
  exec: [
    'sh',
    '-c',
    'echo "arg=$1 env=$STEPS_A_VERSION count=$STEPS_J_COUNT"',
    'sh',
    '${{ steps.a.outputs.version }}',
  ],
};

describe('step outputs', () => {
  const t = useStator({
    workflows: [
      {
        id: 'outputs',
        steps: [
          {
            id: 'a',
            run: 'echo "version=1.2.3 beta" >> "$STATOR_OUTPUT"; printf "notes<<EOF\\nl1\\nl2\\nEOF\\n" >> "$STATOR_OUTPUT"',
          },
          { id: 'j', run: 'echo \'{"count": 3, "list": ["x"]}\'', outputs: 'json' },
          READER,
        ],
      },
      {
        id: 'too-big',
        steps: [
          {
            id: 'big',
            retry: { attempts: 3, backoff: '10ms' },
            run: 'head -c 2000000 /dev/zero | tr "\\0" x | sed "s/^/v=/" > "$STATOR_OUTPUT"',
          },
        ],
      },
    ],
  });

  it('flow from a run step and a JSON step into a later exec step', async () => {
    const { record } = await t.run('outputs', {}, 30_000);
    expect(record.status).toBe('completed');
    expect(record.steps.find((s) => s.id === 'a')!.outputs).toEqual({
      version: '1.2.3 beta',
      notes: 'l1\nl2',
    });
    expect(record.steps.find((s) => s.id === 'j')!.outputs).toEqual({ count: 3, list: ['x'] });
    expect(record.steps.find((s) => s.id === 'b')).not.toHaveProperty('outputs');
    const logs = await t.stator.logs(record.id, { stepId: 'b' });
    expect(logs).toContain('arg=1.2.3 beta env=1.2.3 beta count=3');
    // Each attempt's file is removed once read.
    expect(await readdir(join(t.dataDir, 'outputs'))).toEqual([]);
  });

  it('over 1 MiB fail the step at once, with the reason, and leave no file', async () => {
    const { record } = await t.run('too-big', {}, 30_000);
    expect(record.status).toBe('failed');
    expect(record.steps[0]).toMatchObject({ status: 'failed', attempts: 1, exitCode: 0 });
    expect(record.steps[0]!.error).toMatch(/outputs: .*at most 1048576/);
    expect(await readdir(join(t.dataDir, 'outputs'))).toEqual([]);
  });
});

describe('step outputs across a kill -9 of the server', () => {
  const data = useTempDir('stator-out-data-');
  const workflows = useTempDir('stator-out-wf-');
  const scratch = useTempDir('stator-out-files-');
  let server: ServerProcess | undefined;
  afterEach(async () => {
    if (server?.running()) await server.kill9();
    server = undefined;
  });

  it('reach the reading step from the stored record after the restart', async () => {
    const dataDir = data.path;
    const workflowsDir = workflows.path;
    const files = scratch.path;
    const start = () => startServer({ dataDir, workflowsDir });
    server = await start();
    const api = new ChaosApi(() => server!.url);
    await api.register({
      id: 'handoff',
      steps: [
        { id: 'a', run: 'echo "version=7.7.7" >> "$STATOR_OUTPUT"' },
        // The reader waits behind a sleep long enough to kill the server before it starts.
        { id: 'gap', needs: ['a'], run: `touch '${files}/gap'; sleep 3` },
        {
          id: 'b',
          needs: ['gap'],
          exec: [
            'sh',
            '-c',
            `echo "$1 $STEPS_A_VERSION" > '${files}/b'`,
            'sh',
            '${{ steps.a.outputs.version }}',
          ],
        },
      ],
    });
    const id = await api.execute('handoff');
    await waitFor(() => readdir(files).then((f) => f.includes('gap')), {
      timeoutMs: 30_000,
      message: 'the gap step started',
    });
    await server.kill9();
    server = await start();
    const done = await waitFor(
      async () => {
        const rec = await api.call<{
          status: string;
          steps: Array<{ id: string; outputs?: unknown }>;
        }>('GET', `/api/executions/${id}`);
        return rec.status === 'completed' ? rec : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, message: 'the run completed after the restart' },
    );
    expect(done.steps.find((s) => s.id === 'a')!.outputs).toEqual({ version: '7.7.7' });
    expect((await readFile(join(files, 'b'), 'utf8')).trim()).toBe('7.7.7 7.7.7');
  }, 120_000);
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidWorkflowError,
  MalformedPayloadError,
  NotFoundError,
  toWire,
} from '../../../src/errors.ts';
import {
  formatIssuePath,
  loadWorkflowDir,
  loadWorkflowFile,
  MAX_REPORTED_ISSUES,
  parseWorkflow,
  parseWorkflowText,
} from '../../../src/workflow/parse.ts';

const YAML = `id: diamond
inputs: { name: { default: world } }
steps:
  - id: a
    exec: [echo, hello]
  - id: b
    needs: [a]
    run: sleep 0.5
    retry: { attempts: 3, backoff: 100ms, factor: 2 }
  - id: c
    needs: [a]
    run: sleep 0.5
    timeout: 5s
  - id: d
    needs: [b, c]
    run: echo "hello $INPUT_NAME"
`;

describe('parseWorkflow from text', () => {
  it('reads YAML and the same shape as JSON', () => {
    const fromYaml = parseWorkflow(YAML);
    const fromJson = parseWorkflow(JSON.stringify(parseWorkflowText(YAML)), { format: 'json' });
    expect(fromJson).toEqual(fromYaml);
    expect(fromYaml.steps.map((s) => s.kind)).toEqual(['exec', 'run', 'run', 'run']);
    expect(fromYaml.steps[1]?.retry).toMatchObject({ attempts: 3, backoffMs: 100, factor: 2 });
    expect(parseWorkflow(new TextEncoder().encode(YAML))).toEqual(fromYaml);
  });

  it('reads flow-style YAML that starts with a brace', () => {
    expect(parseWorkflow('{ id: w, steps: [{ id: a, noop: }] }').steps[0]?.kind).toBe('noop');
  });

  it('reports YAML errors as malformed_yaml with the line', () => {
    const err = (() => {
      try {
        parseWorkflow('id: w\nsteps:\n  - id: a\n    exec: [echo\n  - id: b\n');
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(MalformedPayloadError);
    expect(toWire(err)).toMatchObject({ code: 'malformed_yaml' });
    expect((err as Error).message).toMatch(/^invalid YAML: .* at line \d+, column \d+$/);
    expect(() => parseWorkflow('id: a\nid: b\n')).toThrow(/unique/);
  });

  it('reports JSON errors as malformed_json', () => {
    expect(() => parseWorkflow('{"id": "w",\n "steps": [}', { format: 'json' })).toThrow(
      MalformedPayloadError,
    );
    expect(() => parseWorkflow('{\n  "id": "w",\n}', { format: 'json' })).toThrow(
      /invalid JSON: .*line 3/,
    );
    expect(() => parseWorkflow('{"id": "w", "steps": [}')).toThrow(/invalid JSON/);
  });

  it('reports schema and graph problems as invalid_workflow', () => {
    expect(() => parseWorkflow('id: w\nsteps:\n  - id: a\n    needs: [a]\n    noop:\n')).toThrow(
      InvalidWorkflowError,
    );
    expect(() => parseWorkflow('')).toThrow(/empty/);
  });

  it('caps the issues it reports', () => {
    const steps = Array.from({ length: 500 }, (_, i) => ({
      id: `s${i}`,
      needs: ['ghost'],
      noop: true,
    }));
    try {
      parseWorkflow({ id: 'w', steps });
      expect.unreachable();
    } catch (err) {
      const details = (err as InvalidWorkflowError).details as { issues: unknown[]; total: number };
      expect(details.total).toBe(500);
      expect(details.issues).toHaveLength(MAX_REPORTED_ISSUES + 1);
      expect((err as Error).message).toMatch(/\(\+497 more\)$/);
    }
  });

  it('formats issue paths', () => {
    expect(formatIssuePath(['steps', 2, 'retry', 'attempts'])).toBe('steps[2].retry.attempts');
    expect(formatIssuePath(['env', 'A-B'])).toBe('env["A-B"]');
    expect(formatIssuePath([])).toBe('');
  });
});

describe('loading files', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stator-wf-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads one file by extension', async () => {
    await writeFile(join(dir, 'a.yaml'), YAML);
    await writeFile(
      join(dir, 'b.json'),
      JSON.stringify({ id: 'b', steps: [{ id: 'x', noop: true }] }),
    );
    expect((await loadWorkflowFile(join(dir, 'a.yaml'))).id).toBe('diamond');
    expect((await loadWorkflowFile(join(dir, 'b.json'))).id).toBe('b');
    await expect(loadWorkflowFile(join(dir, 'missing.yaml'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('names the file in errors', async () => {
    const file = join(dir, 'bad.yml');
    await writeFile(file, 'id: bad\nsteps:\n  - id: a\n    docker: alpine\n');
    const err = await loadWorkflowFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidWorkflowError);
    expect((err as Error).message.startsWith(`${file}: steps[0]`)).toBe(true);
    expect((err as InvalidWorkflowError).details).toMatchObject({ file });
  });

  it('loads a directory with per-file results, sorted, ignoring other files', async () => {
    await writeFile(join(dir, 'a.yaml'), YAML);
    await writeFile(join(dir, 'b.yml'), 'id: [broken');
    await writeFile(
      join(dir, 'c.json'),
      JSON.stringify({ id: 'diamond', steps: [{ id: 'x', noop: true }] }),
    );
    await writeFile(
      join(dir, 'd.json'),
      JSON.stringify({ id: 'dee', steps: [{ id: 'x', noop: true }] }),
    );
    await writeFile(join(dir, 'notes.txt'), 'not a workflow');
    const results = await loadWorkflowDir(dir);
    expect(results.map((r) => [r.file.slice(dir.length + 1), r.ok])).toEqual([
      ['a.yaml', true],
      ['b.yml', false],
      ['c.json', false],
      ['d.json', true],
    ]);
    const [, broken, duplicate] = results;
    expect(broken?.ok === false && broken.error.code).toBe('malformed_yaml');
    expect(duplicate?.ok === false && duplicate.error.message).toMatch(
      /'diamond' is already defined in .*a\.yaml/,
    );
  });
});

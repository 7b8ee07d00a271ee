import { describe, expect, it } from 'vitest';
import {
  MAX_OUTPUT_BYTES,
  parseOutputFile,
  parseOutputJson,
  parseWorkflow,
  renderArgv,
  stepEnvironment,
} from '../../../src/workflow/index.ts';

describe('parseOutputFile', () => {
  it('reads key=value lines, keeping everything after the first =', () => {
    expect(parseOutputFile('version=1.2.3\nurl=https://x/?a=b\n\nempty=\n')).toEqual({
      ok: true,
      outputs: { version: '1.2.3', url: 'https://x/?a=b', empty: '' },
    });
  });

  it('reads key<<DELIMITER blocks as values of several lines', () => {
    const text = 'notes<<EOF\nfirst line\nsecond = line\nEOF\nafter=1\n';
    expect(parseOutputFile(text)).toEqual({
      ok: true,
      outputs: { notes: 'first line\nsecond = line', after: '1' },
    });
  });

  it('reads one JSON object, values keeping their types', () => {
    expect(parseOutputFile(' {"n": 3, "tags": ["a"], "ok": true}\n')).toEqual({
      ok: true,
      outputs: { n: 3, tags: ['a'], ok: true },
    });
  });

  it('refuses what is not outputs, saying where', () => {
    expect(parseOutputFile('no equals sign')).toEqual({
      ok: false,
      error: 'outputs: line 1: expected key=value, key<<DELIMITER or a JSON object',
    });
    expect(parseOutputFile('ok=1\nbad key=2')).toMatchObject({ ok: false, error: /line 2/ });
    expect(parseOutputFile('x<<END\nnever closed')).toMatchObject({
      ok: false,
      error: /no closing 'END' line/,
    });
    expect(parseOutputFile('{"a": ')).toMatchObject({ ok: false, error: /not JSON/ });
  });

  it('refuses outputs over the bound', () => {
    const big = `v=${'x'.repeat(MAX_OUTPUT_BYTES)}`;
    expect(parseOutputFile(big)).toMatchObject({ ok: false, error: /at most 1048576/ });
  });
});

describe('parseOutputJson', () => {
  it('takes one JSON object and nothing else', () => {
    expect(parseOutputJson('{"a":1}')).toEqual({ ok: true, outputs: { a: 1 } });
    expect(parseOutputJson('[1]')).toMatchObject({ ok: false, error: /one JSON object/ });
    expect(parseOutputJson('')).toMatchObject({ ok: false, error: /stdout is not JSON/ });
    expect(parseOutputJson('{"bad key": 1}')).toMatchObject({ ok: false, error: /bad key/ });
  });
});

describe('outputs in later steps', () => {
  const workflow = (stepB: Record<string, unknown>) =>
    parseWorkflow({
      id: 'w',
      steps: [
        { id: 'a', run: 'true' },
        { id: 'x', run: 'true' },
        { id: 'mid', needs: ['a'], noop: true },
        { id: 'b', needs: ['mid'], ...stepB },
      ],
    });

  it('reach the environment as STEPS_<ID>_<KEY> and argv items through templates', () => {
    const def = workflow({
      exec: ['echo', '${{ steps.a.outputs.version }}', 'v=${{ steps.a.outputs.n }}'],
    });
    const step = def.steps[3]!;
    const outputs = { a: { version: '1.2 3', n: 3 }, 'my-step': { 'some.key': 'x' } };
    const env = stepEnvironment({ def, step, executionId: 'ex1', attempt: 1, inputs: {}, outputs });
    expect(env['STEPS_A_VERSION']).toBe('1.2 3');
    expect(env['STEPS_A_N']).toBe('3');
    expect(env['STEPS_MY_STEP_SOME_KEY']).toBe('x');
    const ctx = { inputs: {}, env, executionId: 'ex1', workflowId: 'w', stepId: 'b', outputs };
    expect(renderArgv(step.kind === 'exec' ? step.exec : [], ctx)).toEqual([
      'echo',
      '1.2 3',
      'v=3',
    ]);
  });

  it('fail the step when the output is missing at run time', () => {
    const def = workflow({ exec: ['echo', '${{ steps.a.outputs.missing }}'] });
    const step = def.steps[3]!;
    const ctx = {
      inputs: {},
      env: {},
      executionId: 'e',
      workflowId: 'w',
      stepId: 'b',
      outputs: { a: {} },
    };
    expect(() => renderArgv(step.kind === 'exec' ? step.exec : [], ctx)).toThrow(
      "step 'a' has no output 'missing'",
    );
  });

  it('are refused at registration from a step that is not upstream', () => {
    expect(() => workflow({ exec: ['echo', '${{ steps.x.outputs.v }}'] })).toThrow(
      /'x' is not a step that 'b' needs/,
    );
    expect(() => workflow({ exec: ['echo', '${{ steps.a.outputs.v }}'] })).not.toThrow();
  });

  it('outputs: json is for process steps only', () => {
    expect(() => workflow({ sleep: '1s', outputs: 'json' })).toThrow(
      /outputs applies only to exec and run steps/,
    );
    expect(() => workflow({ run: 'true', outputs: 'yaml' })).toThrow(/outputs must be 'json'/);
  });
});

/**
 * Policies: deny patterns (rule ids, prefixes, severities), requireApproval (always or by
 * finding), maxDuration and maxParallel; block wins over approval; the policy gate in front of
 * the roots; the global policy file (YAML, JSON, `none`, bad fields named).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../../../src/workflow/index.ts';
import {
  DEFAULT_GLOBAL_POLICY,
  evaluatePolicies,
  judgeRun,
  loadPolicyFile,
  type Finding,
} from '../../../src/plans/index.ts';
import { useTempDir } from '../../helpers/use-stator.ts';
import { resolveConfig, statorOptionsFromConfig } from '../../../src/config.ts';

const dir = useTempDir('stator-policy-');
const f = (severity: Finding['severity'], rule: string): Finding => ({
  severity,
  rule,
  message: '',
});
const plan = (findings: Finding[], levels: string[][] = [['a']], criticalPathMs = 0) => ({
  findings,
  levels,
  criticalPathMs,
});

describe('evaluatePolicies', () => {
  it('allows without policies, blocks critical under the default', () => {
    const p = plan([f('critical', 'destructive-rm-root')]);
    expect(evaluatePolicies(p, []).action).toBe('allow');
    expect(evaluatePolicies(p, [undefined, undefined]).action).toBe('allow');
    expect(evaluatePolicies(p, [DEFAULT_GLOBAL_POLICY])).toMatchObject({
      action: 'block',
      findings: [p.findings[0]],
    });
    expect(evaluatePolicies(plan([f('warning', 'x')]), [DEFAULT_GLOBAL_POLICY]).action).toBe(
      'allow',
    );
  });

  it('matches rule ids, prefixes and severities', () => {
    const p = plan([f('warning', 'destructive-sql-drop')]);
    for (const deny of [['destructive-sql-drop'], ['destructive-*'], ['warning']]) {
      expect(evaluatePolicies(p, [{ deny }]).action).toBe('block');
    }
    expect(evaluatePolicies(p, [{ deny: ['destructive-mkfs', 'info', 'secret-*'] }]).action).toBe(
      'allow',
    );
  });

  it('asks for approval, always or by finding; a block wins', () => {
    const p = plan([f('info', 'no-timeout')]);
    expect(evaluatePolicies(p, [{ requireApproval: true }]).action).toBe('approve');
    expect(evaluatePolicies(p, [{ requireApproval: ['no-timeout'] }]).action).toBe('approve');
    expect(evaluatePolicies(p, [{ requireApproval: ['critical'] }]).action).toBe('allow');
    expect(evaluatePolicies(p, [{ requireApproval: true }, { deny: ['info'] }]).action).toBe(
      'block',
    );
  });

  it('bounds the estimated duration and the parallelism', () => {
    const p = plan([], [['a', 'b', 'c'], ['d']], 90_000);
    expect(evaluatePolicies(p, [{ maxDuration: 60_000 }]).reasons).toEqual([
      'estimated 90000 ms is over maxDuration 60000 ms',
    ]);
    expect(evaluatePolicies(p, [{ maxParallel: 3 }, { maxDuration: 90_000 }]).action).toBe('allow');
    expect(evaluatePolicies(p, [{ maxParallel: 2 }]).action).toBe('block');
  });
});

describe('judgeRun', () => {
  it('puts the policy gate before every root step', () => {
    const def = parseWorkflow({
      id: 'w',
      policy: { requireApproval: true },
      steps: [
        { id: 'a', noop: true },
        { id: 'b', noop: true },
        { id: 'c', noop: true, needs: ['a', 'b'] },
        { id: 'policy-approval', noop: true },
      ],
    });
    const judged = judgeRun(def, {}, null);
    expect(judged.action).toBe('approve');
    if (judged.action !== 'approve') return;
    expect(judged.definition.steps.map((s) => [s.id, s.needs])).toEqual([
      ['policy-approval-2', []],
      ['a', ['policy-approval-2']],
      ['b', ['policy-approval-2']],
      ['c', ['a', 'b']],
      ['policy-approval', ['policy-approval-2']],
    ]);
    expect(judged.definition.steps[0]).toMatchObject({ kind: 'approval' });
    expect(def.steps).toHaveLength(4); // the registered definition is not changed
  });

  it('judges with the input put into templates', () => {
    const def = parseWorkflow({
      id: 'w',
      steps: [{ id: 'a', exec: ['rm', '-rf', '${{ inputs.dir }}'] }],
    });
    expect(judgeRun(def, { dir: 'out' }, DEFAULT_GLOBAL_POLICY).action).toBe('allow');
    expect(judgeRun(def, { dir: '/' }, DEFAULT_GLOBAL_POLICY).action).toBe('block');
  });
});

describe('the global policy file', () => {
  it('reads YAML and JSON, none, and names bad fields', () => {
    const yaml = join(dir.path, 'p.yaml');
    writeFileSync(yaml, 'deny: [critical, destructive-*]\nmaxDuration: 1h\n');
    expect(loadPolicyFile(yaml)).toEqual({
      deny: ['critical', 'destructive-*'],
      maxDuration: 3_600_000,
    });
    const json = join(dir.path, 'p.json');
    writeFileSync(json, '{"requireApproval": ["warning"]}');
    expect(loadPolicyFile(json)).toEqual({ requireApproval: ['warning'] });
    expect(loadPolicyFile('none')).toBeNull();
    const bad = join(dir.path, 'bad.yaml');
    writeFileSync(bad, 'deny: [Not A Rule]\nmaxParallel: -1\nextra: 1\n');
    expect(() => loadPolicyFile(bad)).toThrow(/deny\[0\]|maxParallel|extra/);
    expect(() => loadPolicyFile(join(dir.path, 'missing.yaml'))).toThrow(/cannot read/);
  });

  it('is set by STATOR_POLICY_FILE or --policy; unset keeps the default', () => {
    const file = join(dir.path, 'global.yaml');
    writeFileSync(file, 'requireApproval: true\n');
    const env = resolveConfig({ env: { STATOR_POLICY_FILE: file } });
    expect(statorOptionsFromConfig(env).policy).toEqual({ requireApproval: true });
    const none = resolveConfig({ flags: { policy: 'none' }, env: {} });
    expect(statorOptionsFromConfig(none).policy).toBeNull();
    expect(statorOptionsFromConfig(resolveConfig({ env: {} })).policy).toBeUndefined();
  });
});

/**
 * Safety findings: each rule fires on what it is meant for and stays quiet on look-alikes
 * (`rm -rf ./build`, `/tmp/x`, `dd of=/dev/null`, `kubectl get`), inputs are put into argv and
 * scripts before the check, and production without an approval is flagged.
 */
import { describe, expect, it } from 'vitest';
import { parseWorkflow } from '../../../src/workflow/index.ts';
import { safetyFindings, scriptCommands } from '../../../src/plans/index.ts';

type Step = Record<string, unknown>;
const wf = (steps: Step[], extra: Record<string, unknown> = {}) =>
  parseWorkflow({ id: 'w', defaults: { timeout: '1m' }, ...extra, steps });
const rules = (steps: Step[], extra?: Record<string, unknown>, input?: Record<string, unknown>) =>
  safetyFindings(wf(steps, extra), input).map((f) => `${f.severity}:${f.rule}:${f.stepId ?? ''}`);

describe('destructive commands', () => {
  it.each([
    [{ exec: ['rm', '-rf', '/'] }],
    [{ exec: ['sudo', 'rm', '-r', '-f', '/*'] }],
    [{ exec: ['/bin/rm', '--recursive', '--force', '~'] }],
    [{ run: 'echo start\nrm -rf / && echo gone' }],
    [{ run: 'rm -fr "$HOME"' }],
    [{ exec: ['bash', '-c', 'cd /tmp; rm -rf /'] }],
  ])('rm -r of the root or home is critical: %j', (step) => {
    expect(rules([{ id: 's', ...step }])).toEqual(['critical:destructive-rm-root:s']);
  });

  it.each([
    [{ exec: ['rm', '-rf', './build'] }],
    [{ run: 'rm -rf ./build /tmp/cache dist/*' }],
    [{ exec: ['rm', '/'] }], // not recursive: rm refuses a directory
    [{ run: 'echo "rm -rf /"' }], // printed, not run
    [{ run: '# rm -rf /\ntrue' }],
    [{ exec: ['dd', 'if=/dev/zero', 'of=/dev/null', 'count=1'] }],
    [{ exec: ['kubectl', 'get', 'pods'] }],
    [{ exec: ['terraform', 'plan'] }],
    [{ run: 'psql -c "SELECT * FROM dropped_tables"' }],
  ])('no false positive on %j', (step) => {
    expect(rules([{ id: 's', ...step }])).toEqual([]);
  });

  it('finds mkfs, dd to a device and raw disk writes (critical)', () => {
    expect(
      rules([
        { id: 'a', exec: ['mkfs.ext4', '/dev/sdb1'] },
        { id: 'b', exec: ['dd', 'if=/dev/zero', 'of=/dev/sda'] },
        { id: 'c', run: 'cat image > /dev/nvme0n1' },
      ]),
    ).toEqual([
      'critical:destructive-mkfs:a',
      'critical:destructive-dd:b',
      'critical:destructive-disk-write:c',
    ]);
  });

  it('finds terraform destroy, kubectl delete and DROP TABLE (warning)', () => {
    expect(
      rules([
        { id: 'a', exec: ['terraform', 'destroy', '-auto-approve'] },
        { id: 'b', run: 'kubectl delete ns staging' },
        { id: 'c', exec: ['psql', '-c', 'drop  table users'] },
        { id: 'd', run: 'mysql -e "DROP DATABASE shop"' },
      ]),
    ).toEqual([
      'warning:destructive-terraform-destroy:a',
      'warning:destructive-kubectl-delete:b',
      'warning:destructive-sql-drop:c',
      'warning:destructive-sql-drop:d',
    ]);
  });

  it('puts inputs into exec templates and INPUT_ variables of scripts', () => {
    const steps = [
      { id: 'a', exec: ['rm', '-rf', '${{ inputs.dir }}'] },
      { id: 'b', run: 'rm -rf "$INPUT_DIR"' },
    ];
    expect(rules(steps, {}, { dir: './out' })).toEqual([]);
    expect(rules(steps, {}, { dir: '/' })).toEqual([
      'critical:destructive-rm-root:a',
      'critical:destructive-rm-root:b',
    ]);
  });

  it('lexes scripts into simple commands', () => {
    expect(scriptCommands(`a 'b c' && d "e f"|g; h\\ i # j\nk`)).toEqual([
      ['a', 'b c'],
      ['d', 'e f'],
      ['g'],
      ['h i'],
      ['k'],
    ]);
    // `#` inside a word is text, not a comment; words end at redirections and parentheses.
    expect(scriptCommands(`x#y z>/dev/sda (rm -rf ~)&&echo a'b'"c"`)).toEqual([
      ['x#y', 'z', '>', '/dev/sda'],
      ['rm', '-rf', '~'],
      ['echo', 'abc'],
    ]);
  });

  it('reads only the commands of a pipeline that may be destructive, finding each', () => {
    expect(
      rules([{ id: 's', run: 'echo 1 && rm -rf ./b | tee log; mkfs.ext4 /dev/sdb | cat' }]),
    ).toEqual(['critical:destructive-mkfs:s']);
    expect(rules([{ id: 's', run: 'cat x | sh -c "rm -rf /"' }])).toEqual([
      'critical:destructive-rm-root:s',
    ]);
  });
});

describe('workflow rules', () => {
  it('flags production without an approval, not with a gate or an approval step', () => {
    const steps = [{ id: 's', exec: ['true'] }];
    expect(rules(steps, { environment: 'production' })).toEqual([
      'warning:production-without-approval:',
    ]);
    expect(
      rules(steps, { environment: 'production', approval: { message: 'ok?', timeout: '1h' } }),
    ).toEqual([]);
    expect(rules(steps, { environment: 'staging' })).toEqual([]);
  });

  it('flags steps without a timeout unless defaults.timeout covers them', () => {
    const def = parseWorkflow({
      id: 'w',
      steps: [
        { id: 'a', exec: ['true'] },
        { id: 'b', exec: ['true'], timeout: '5s' },
        { id: 'c', sleep: '1s' },
        { id: 'd', noop: true },
      ],
    });
    expect(safetyFindings(def).map((f) => `${f.rule}:${f.stepId}:${f.severity}`)).toEqual([
      'no-timeout:a:info',
    ]);
    expect(rules([{ id: 'a', exec: ['true'] }])).toEqual([]);
  });

  it('flags secrets in argv: declared names, secrets templates and literal tokens', () => {
    const extra = { secrets: { API_TOKEN: { env: 'X' } } };
    expect(
      rules(
        [
          { id: 'a', exec: ['curl', '-H', 'Authorization: Bearer $API_TOKEN'] },
          { id: 'b', exec: ['curl', '-H', '${API_TOKEN}'] },
          { id: 'c', exec: ['deploy', '--token', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'] },
          { id: 'd', run: 'aws configure set aws_access_key_id AKIAABCDEFGHIJKLMNOP' },
          { id: 'e', exec: ['curl', '-H', 'X-Token: $OTHER'] },
          { id: 'f', run: 'curl -H "Authorization: Bearer $API_TOKEN" https://x' },
        ],
        extra,
      ),
    ).toEqual([
      'warning:secret-in-argv:a',
      'warning:secret-in-argv:b',
      'warning:secret-literal:c',
      'warning:secret-literal:d',
    ]);
  });
});

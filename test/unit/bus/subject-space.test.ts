/**
 * The names of one deployment (src/bus/subjects.ts): every subject, queue group, stream, bucket
 * and consumer name a SubjectSpace builds starts with its prefix; the default prefix keeps the
 * names of earlier releases exactly; two prefixes share no name and match none of each other's
 * subjects; a prefix that is not one name token is refused, also by the configuration.
 */
import { describe, expect, it } from 'vitest';
import {
  ACTOR_KINDS,
  createMemoryBus,
  subjectMatches,
  subjectSpace,
  type SubjectSpace,
} from '../../../src/bus/index.ts';
import { resolveConfig } from '../../../src/config.ts';
import { InvalidArgumentError } from '../../../src/errors.ts';
import { storeNames } from '../../../src/store/index.ts';

/** Every name `names` builds, labelled, with the discovery subjects apart (protocol-fixed root). */
function everyName(names: SubjectSpace): { own: Record<string, string>; micro: string[] } {
  const own: Record<string, string> = {};
  for (const kind of ACTOR_KINDS) {
    own[`actorIn.${kind}`] = names.actorIn(kind, 'id1');
    own[`actorOut.${kind}`] = names.actorOut(kind, 'id1');
    own[`actorWildcard.in.${kind}`] = names.actorWildcard('in', kind);
  }
  own['actorWildcard.out'] = names.actorWildcard('out');
  own['apiSubject'] = names.apiSubject('workflow.execute');
  own['apiWildcard'] = names.apiWildcard();
  own['workSubject'] = names.workSubject('pool1');
  own['workWildcard'] = names.workWildcard();
  for (const [k, v] of Object.entries(names.queues)) {
    own[`queues.${k}`] = typeof v === 'function' ? v('wf1') : v;
  }
  for (const [k, v] of Object.entries(names.streams)) own[`streams.${k}`] = v;
  for (const [k, v] of Object.entries(names.buckets)) own[`buckets.${k}`] = v;
  own['durables.work'] = names.durables.work('pool1');
  own['durables.streamTrigger'] = names.durables.streamTrigger('wf1-nats-0');
  own['micro.name'] = names.micro.name;
  const micro = (['PING', 'INFO', 'STATS'] as const).flatMap((v) => names.micro.subjects(v, 'n1'));
  return { own, micro };
}

describe('a SubjectSpace', () => {
  it.each(['stator', 'acme', 'A1', 'tenant_7', 'blue-green'])(
    'builds every name of prefix %s starting with the prefix',
    (prefix) => {
      const { own, micro } = everyName(subjectSpace(prefix));
      expect(Object.keys(own).length).toBeGreaterThan(30);
      for (const [label, name] of Object.entries(own)) {
        expect(name === prefix || /^[._-]/.test(name.slice(prefix.length)), label).toBe(true);
        expect(name.startsWith(prefix), `${label}: ${name}`).toBe(true);
      }
      // The micro protocol fixes `$SRV.<VERB>`; the service is named by the prefix.
      for (const subject of micro) expect(subject).toMatch(/^\$SRV\.(PING|INFO|STATS)(\.|$)/);
      expect(micro).toContain(`$SRV.INFO.${prefix}.n1`);
    },
  );

  it('keeps the names of earlier releases under the default prefix', () => {
    const names = subjectSpace();
    expect(names.prefix).toBe('stator');
    expect(names.actorIn('execution', 'x1')).toBe('stator.execution.x1.in');
    expect(names.actorWildcard('out')).toBe('stator.*.*.out');
    expect(names.apiSubject('workflow.execute')).toBe('stator.api.workflow.execute');
    expect(names.workSubject('stator')).toBe('stator.work.stator');
    expect(names.queues).toMatchObject({
      api: 'stator-api',
      apiUnknown: 'stator-api-unknown',
      triggerReplicas: 'stator-trigger-replicas',
    });
    expect(names.queues.trigger('orders')).toBe('stator-trigger-orders');
    expect(names.streams).toEqual({
      events: 'stator_events',
      logs: 'stator_logs',
      work: 'stator_work',
    });
    expect(names.buckets.leases).toBe('stator_leases');
    expect(names.durables.work('stator')).toBe('stator-stator');
    expect(names.durables.streamTrigger('wf-nats-0')).toBe('stator_trigger_wf-nats-0');
    expect(names.micro.name).toBe('stator');
    const store = storeNames();
    expect(store.buckets).toEqual({
      workflows: 'stator_workflows',
      executions: 'stator_executions',
      steps: 'stator_steps',
      index: 'stator_index',
      triggers: 'stator_triggers',
      idempotency: 'stator_idempotency',
      sessions: 'stator_sessions',
    });
  });

  it('gives two prefixes no common name and no subject of the other to match', () => {
    // `stator` and `stator2`: one a string prefix of the other, the hardest case.
    for (const [a, b] of [
      ['stator', 'stator2'],
      ['acme', 'stator'],
    ] as const) {
      const x = everyName(subjectSpace(a)).own;
      const y = everyName(subjectSpace(b)).own;
      const ys = new Set(Object.values(y));
      for (const name of Object.values(x)) expect(ys.has(name), name).toBe(false);
      const wildcards = [
        subjectSpace(a).actorWildcard('out'),
        subjectSpace(a).actorWildcard('in'),
        subjectSpace(a).apiWildcard(),
        subjectSpace(a).workWildcard(),
      ];
      for (const w of wildcards) {
        for (const subject of Object.values(y)) {
          expect(subjectMatches(w, subject), `${w} ~ ${subject}`).toBe(false);
        }
      }
      const sa = subjectSpace(a);
      expect(sa.parseActorSubject(subjectSpace(b).actorIn('engine', 'e1'))).toBeUndefined();
      expect(sa.parseApiSubject(subjectSpace(b).apiSubject('health'))).toBeUndefined();
      expect(sa.owns(subjectSpace(b).apiSubject('health'))).toBe(false);
      expect(sa.owns(sa.apiSubject('health'))).toBe(true);
    }
  });

  it('refuses a prefix that is not one name token', () => {
    for (const bad of ['', 'a.b', 'a b', '*', '>', 'a*', '-lead', '_lead', 'ü', 'x'.repeat(33)]) {
      expect(() => subjectSpace(bad), bad).toThrow(InvalidArgumentError);
      expect(() => createMemoryBus({ prefix: bad }), bad).toThrow(InvalidArgumentError);
    }
    expect(subjectSpace('x'.repeat(32)).prefix).toHaveLength(32);
  });

  it('is what the bus carries', () => {
    expect(createMemoryBus().subjects.prefix).toBe('stator');
    expect(createMemoryBus({ prefix: 'acme' }).subjects.apiWildcard()).toBe('acme.api.>');
  });
});

describe('--nats-prefix / STATOR_PREFIX', () => {
  it('is resolved from the flag or either environment name, default stator', () => {
    expect(resolveConfig({ flags: {}, env: {} }).natsPrefix).toBe('stator');
    expect(resolveConfig({ flags: {}, env: { STATOR_PREFIX: 'acme' } }).natsPrefix).toBe('acme');
    expect(resolveConfig({ flags: {}, env: { STATOR_NATS_PREFIX: 'old' } }).natsPrefix).toBe('old');
    expect(resolveConfig({ flags: { 'nats-prefix': 'b2' }, env: {} }).natsPrefix).toBe('b2');
  });

  it('is refused by name when it is not one subject token', () => {
    for (const bad of ['a.b', 'a>', 'with space']) {
      expect(() => resolveConfig({ flags: { 'nats-prefix': bad }, env: {} })).toThrow(
        /natsPrefix|nats-prefix/,
      );
    }
  });
});

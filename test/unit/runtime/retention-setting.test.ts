import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_FLAG_OPTIONS,
  configHelpLines,
  resolveConfig,
  statorOptionsFromConfig,
} from '../../../src/config.ts';
import { formatRetention, parseRetention } from '../../../src/runtime/index.ts';

const DAY = 86_400_000;

describe('retention setting', () => {
  it('reads an age, a count, both, or forever', () => {
    expect(parseRetention('7d')).toEqual({ maxAgeMs: 7 * DAY });
    expect(parseRetention('12h')).toEqual({ maxAgeMs: 12 * 3_600_000 });
    expect(parseRetention('30m')).toEqual({ maxAgeMs: 1_800_000 });
    expect(parseRetention('1d12h')).toEqual({ maxAgeMs: 1.5 * DAY });
    expect(parseRetention('100000 runs')).toEqual({ keepRuns: 100_000 });
    expect(parseRetention('1 run')).toEqual({ keepRuns: 1 });
    expect(parseRetention(' 7d, 100000 runs ')).toEqual({ maxAgeMs: 7 * DAY, keepRuns: 100_000 });
    expect(parseRetention('500runs,90d')).toEqual({ maxAgeMs: 90 * DAY, keepRuns: 500 });
    expect(parseRetention('Forever')).toEqual({});
  });

  it('refuses anything else, saying what it takes', () => {
    for (const bad of [
      '',
      '7',
      '7 days',
      '-1d',
      '0m',
      '1h30s',
      '0 runs',
      '7d,8d',
      '5 runs,6 runs',
      '7d;5 runs',
      'never',
    ]) {
      expect(() => parseRetention(bad), bad).toThrow(/expected an age|must|twice/);
    }
    expect(() => parseRetention('36501d')).toThrow(/from 1m to 36500d/);
  });

  it('formats the canonical text', () => {
    for (const text of ['30d', '12h', '1d12h', '100000 runs', '7d,100000 runs', 'forever']) {
      expect(formatRetention(parseRetention(text))).toBe(text);
    }
    expect(formatRetention(parseRetention('100000 runs, 48h'))).toBe('2d,100000 runs');
    expect(formatRetention({ maxAgeMs: 90_500 })).toBe('1m30s500ms');
  });
});

describe('retention configuration', () => {
  it('comes from STATOR_RETENTION or --retention, canonical, into the service options', () => {
    const fromEnv = resolveConfig({ env: { STATOR_RETENTION: '100000 runs,7d' } });
    expect(fromEnv.retention).toBe('7d,100000 runs');
    expect(statorOptionsFromConfig(fromEnv).retention).toEqual({ keep: '7d,100000 runs' });
    const { values } = parseArgs({ args: ['--retention', '12h'], options: CONFIG_FLAG_OPTIONS });
    const fromFlag = resolveConfig({ flags: values, env: { STATOR_RETENTION: '7d' } });
    expect(statorOptionsFromConfig(fromFlag).retention).toEqual({ keep: '12h' });
    // Unset: the service's default (30d) applies.
    expect(statorOptionsFromConfig(resolveConfig({ env: {} })).retention).toBeUndefined();
  });

  it('names the variable or flag at fault', () => {
    expect(() => resolveConfig({ env: { STATOR_RETENTION: 'a week' } })).toThrow(
      /^STATOR_RETENTION: .*expected an age/,
    );
    expect(() => resolveConfig({ flags: { retention: '0 runs' }, env: {} })).toThrow(
      /^--retention: /,
    );
  });

  it('is in the help with its default', () => {
    const help = configHelpLines().join('\n');
    expect(help).toContain('--retention KEEP  (STATOR_RETENTION)');
    expect(help).toMatch(/finished executions kept: .* \[30d\]/);
  });
});

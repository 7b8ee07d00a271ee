/**
 * LogStore conformance: append order across steps, the per-step bound with dropped counts, cut
 * lines, and the default limits.
 * @module
 */
import { describe, expect, it } from 'vitest';
import {
  execution,
  lines,
  SMALL,
  T1,
  T2,
  useStores,
  type StoreConformanceOptions,
} from './fixtures.ts';

/** Registers the LogStore cases; call it inside a describe that names the store. */
export function runLogStoreConformance(opts: StoreConformanceOptions): void {
  describe('logs', () => {
    const { open } = useStores(opts);

    it('keeps append order across steps and filters by step', async () => {
      const store = await open();
      const ex = execution('w');
      await store.createExecution(ex);
      const batch1 = [
        ...lines('build', 0, 2),
        ...lines('test', 0, 1, 'stderr'),
        ...lines('build', 2, 1),
      ];
      const batch2 = [...lines('test', 1, 2), ...lines('build', 3, 1, 'stderr')];
      await store.appendLogs(ex.id, batch1);
      await store.appendLogs(ex.id, batch2);
      await store.appendLogs(ex.id, []);
      expect(await store.getLogs(ex.id)).toEqual({
        lines: [...batch1, ...batch2],
        truncated: {},
      });
      const build = await store.getLogs(ex.id, { stepId: 'build' });
      expect(build.lines).toEqual([...batch1, ...batch2].filter((l) => l.stepId === 'build'));
      expect(await store.getLogs(ex.id, { stepId: 'deploy' })).toEqual({
        lines: [],
        truncated: {},
      });
      expect(await store.getLogs('ex_missing')).toEqual({ lines: [], truncated: {} });
      await expect(store.appendLogs('ex_missing', lines('a', 0, 1))).rejects.toMatchObject({
        code: 'not_found',
      });
    });

    it('keeps the newest lines per step and counts the dropped ones', async () => {
      const store = await open(SMALL);
      const ex = execution('w');
      await store.createExecution(ex);
      await store.appendLogs(ex.id, lines('build', 0, 3));
      await store.appendLogs(ex.id, [...lines('build', 3, 4), ...lines('test', 0, 12)]);
      for (let i = 0; i < 8; i++) await store.appendLogs(ex.id, lines('deploy', i, 1));
      await store.appendLogs(ex.id, lines('other', 0, 5));
      const logs = await store.getLogs(ex.id);
      expect(logs.truncated).toEqual({ build: 2, test: 7, deploy: 3 });
      const of = (step: string) => logs.lines.filter((l) => l.stepId === step).map((l) => l.line);
      expect(of('build')).toEqual(['build-2', 'build-3', 'build-4', 'build-5', 'build-6']);
      expect(of('test')).toEqual(['test-7', 'test-8', 'test-9', 'test-10', 'test-11']);
      expect(of('deploy')).toEqual(['deploy-3', 'deploy-4', 'deploy-5', 'deploy-6', 'deploy-7']);
      expect(of('other')).toHaveLength(5);
      expect(logs.lines.map((l) => l.stepId).slice(0, 5)).toEqual([
        'build',
        'build',
        'build',
        'build',
        'build',
      ]);
      const test = await store.getLogs(ex.id, { stepId: 'test' });
      expect(test.truncated).toEqual({ test: 7 });
      expect(test.lines.map((l) => l.line)).toEqual(of('test'));
    });

    it('cuts long lines and marks how much was cut', async () => {
      const store = await open(SMALL);
      const ex = execution('w');
      await store.createExecution(ex);
      const exact = 'x'.repeat(64);
      const long = 'y'.repeat(64) + 'z'.repeat(36);
      await store.appendLogs(ex.id, [
        { stepId: 'build', stream: 'stdout', line: exact, ts: T1 },
        { stepId: 'build', stream: 'stderr', line: long, ts: T2 },
      ]);
      const [a, b] = (await store.getLogs(ex.id)).lines;
      expect(a).toEqual({ stepId: 'build', stream: 'stdout', line: exact, ts: T1 });
      expect(b!.line.startsWith('y'.repeat(64))).toBe(true);
      expect(b!.line).not.toContain('z');
      expect(b!.line).toMatch(/\[truncated 36 chars\]$/);
      expect(b!.stream).toBe('stderr');
    });

    it('applies the default limits: 1000 lines per step, 8192 chars per line', async () => {
      const store = await open();
      const ex = execution('w');
      await store.createExecution(ex);
      await store.appendLogs(ex.id, lines('build', 0, 1003));
      await store.appendLogs(ex.id, [
        { stepId: 'test', stream: 'stdout', line: 'q'.repeat(9000), ts: T1 },
      ]);
      const logs = await store.getLogs(ex.id);
      expect(logs.truncated).toEqual({ build: 3 });
      expect(logs.lines).toHaveLength(1001);
      expect(logs.lines[0]!.line).toBe('build-3');
      expect(logs.lines[1000]!.line).toMatch(/^q{8192}(?!q).*\[truncated 808 chars\]$/);
    });
  });
}

/**
 * The instrument of the chaos tests, checked without a server: step scripts run by hand as two
 * copies of one step, one after the other and then overlapping. Sequential copies are clean;
 * overlapping ones are caught both by the live check at start and by their intervals; a second
 * copy that ran to its end counts as a re-run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  liveRecordedPids,
  markedScript,
  overlapViolations,
  readMarkers,
  rerunViolations,
  sleepBody,
} from './markers.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** Runs the marked script of step `s` of run `ex_test` once, as a step would. */
function copy(markersDir: string, attempt: number): Promise<void> {
  const env = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    CHAOS_MARKERS: markersDir,
    STATOR_EXECUTION_ID: 'ex_test',
    STATOR_STEP_ID: 's',
    STATOR_ATTEMPT: String(attempt),
  };
  return new Promise((resolve, reject) =>
    spawn('sh', ['-c', markedScript(sleepBody(0.4))], { env, stdio: 'ignore' })
      .once('error', reject)
      .once('exit', () => resolve()),
  );
}

describe('chaos markers', () => {
  it('sees copies of a step that overlap, and only those', { timeout: 10_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'stator-chaos-markers-'));
    await copy(dir, 1);
    await copy(dir, 2);
    let markers = readMarkers(dir);
    expect(markers.map((m) => m.kind)).toEqual(['start', 'end', 'start', 'end']);
    expect(overlapViolations(markers)).toEqual([]);
    expect(rerunViolations(markers, ['ex_test/s'])).toEqual([
      'ex_test/s: ran to its end 2 times (starts 2)',
      expect.stringMatching(/^ex_test\/s: started again 1× after it had succeeded$/),
    ]);

    const first = copy(dir, 3);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await Promise.all([first, copy(dir, 4)]);
    markers = readMarkers(dir);
    const found = overlapViolations(markers);
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/attempt 4 started while pid \d+ \(an earlier copy\) was alive/);
    expect(found[1]).toMatch(/started at \d+ before pid \d+ ended at \d+/);
    expect(liveRecordedPids(dir)).toEqual([]);
  });
});

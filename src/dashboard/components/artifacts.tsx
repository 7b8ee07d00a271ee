/**
 * The files a run's steps kept (`artifacts:`), one line each with its size and a download
 * button, and the ones refused with their reason as text. A download is fetched with the API
 * token (a plain link could not carry it) and saved through an object URL.
 */
import { downloadFile, seg } from '../lib/api.ts';
import type { StepRecord } from '../lib/types.ts';
import { Action } from './common.tsx';
import { downloadFilename } from '../../artifacts/download-filename.ts';

/** `1.2 MiB`, `340 B`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/**
 * What the file is saved as: the server's Content-Disposition rule, shared with the CLI (the
 * last segment of the name, reduced to safe characters).
 */
export const saveAs = downloadFilename;

export function Artifacts(props: { executionId: string; steps: StepRecord[] | undefined }) {
  const steps = (props.steps ?? []).filter((s) => (s.artifacts?.length ?? 0) > 0);
  if (steps.length === 0) return null;
  return (
    <div class="artifacts" data-testid="artifacts">
      <h3>Artifacts</h3>
      <ul>
        {steps.flatMap((s) =>
          s.artifacts!.map((a) => (
            <li key={a.name} data-testid={`artifact-${a.name}`}>
              <code>{a.name}</code>{' '}
              {a.refused !== undefined ? (
                <span class="error" data-testid="artifact-refused">
                  refused: {a.refused}
                </span>
              ) : (
                <>
                  <span class="muted">{bytes(a.size)}</span>{' '}
                  <Action
                    label="Download"
                    testId={`download-${a.name}`}
                    run={() =>
                      downloadFile(
                        `/api/executions/${seg(props.executionId)}/artifacts/${seg(a.name)}`,
                        saveAs(a.name),
                      )
                    }
                  />
                  {a.sha256 !== undefined && (
                    <span class="muted" title={`sha256 ${a.sha256}`}>
                      {' '}
                      sha256 {a.sha256.slice(0, 12)}…
                    </span>
                  )}
                </>
              )}
            </li>
          )),
        )}
      </ul>
    </div>
  );
}

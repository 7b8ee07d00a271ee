/**
 * Live log lines (step or session output), virtualised, following the tail while scrolled to
 * the bottom. Lines are text nodes: whatever a process prints is shown, never interpreted.
 */
import { VirtualList } from './virtual-list.tsx';

export interface LogLine {
  key: string | number;
  /** The step id, for runs. */
  step?: string;
  stream: string;
  text: string;
}

/** The most lines a view keeps (older ones are dropped, newest kept). */
export const MAX_LOG_LINES = 20_000;

export function LogView(props: { lines: readonly LogLine[]; height?: number; testId?: string }) {
  if (props.lines.length === 0) return <p class="muted">No output yet.</p>;
  return (
    <VirtualList
      items={props.lines}
      rowHeight={20}
      height={Math.min(props.height ?? 320, props.lines.length * 20 + 4)}
      follow
      class="logs"
      testId={props.testId ?? 'logs'}
      render={(l) => (
        <div class={`logline ${l.stream}`}>
          {l.step !== undefined && <span class="logstep">{l.step}</span>}
          <span class="logstream">{l.stream}</span>
          <span class="logtext">{l.text}</span>
        </div>
      )}
    />
  );
}

/** Appends lines, keeping at most MAX_LOG_LINES. */
export function appendLines(lines: LogLine[], more: LogLine[]): LogLine[] {
  if (more.length === 0) return lines;
  const all = lines.concat(more);
  return all.length > MAX_LOG_LINES ? all.slice(all.length - MAX_LOG_LINES) : all;
}

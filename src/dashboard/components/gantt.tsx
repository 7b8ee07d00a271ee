/**
 * The timeline of a run: one row per step, one bar per attempt (earlier attempts hatched,
 * running ones growing with the clock), virtualised so 10,000 rows scroll smoothly.
 */
import { ms } from '../lib/format.ts';
import { VirtualList } from './virtual-list.tsx';

export interface Attempt {
  attempt: number;
  start: number;
  end: number | null;
  status: string;
}

export interface GanttRow {
  id: string;
  status: string;
  attempts: Attempt[];
}

/**
 * `rowOf` builds a row when it comes into view (a run of 10,000 steps builds ~40 per frame);
 * the scale runs from the run's start to its end (or now).
 */
export function Gantt(props: {
  ids: readonly string[];
  rowOf: (id: string) => GanttRow;
  start: string | null;
  end: string | null;
  now: number;
}) {
  const t0 = ms(props.start) ?? props.now;
  const t1 = Math.max(ms(props.end) ?? props.now, t0 + 1000);
  const span = Math.max(1, t1 - t0);
  const pct = (t: number): string => `${(((t - t0) / span) * 100).toFixed(3)}%`;
  return (
    <div class="gantt" data-testid="gantt">
      <div class="gantt-scale">
        <span>0</span>
        <span>{(span / 1000 / 2).toFixed(1)} s</span>
        <span>{(span / 1000).toFixed(1)} s</span>
      </div>
      <VirtualList
        items={props.ids}
        rowHeight={22}
        height={Math.min(360, props.ids.length * 22 + 4)}
        render={(id) => {
          const r = props.rowOf(id);
          return (
            <div class="gantt-row" data-step={r.id}>
              <span class="gantt-label" title={r.id}>
                {r.id}
              </span>
              <span class="gantt-track">
                {r.attempts.map((a) => (
                  <span
                    key={a.attempt}
                    class={`gantt-bar st-${a.status}`}
                    title={`${r.id} attempt ${a.attempt}: ${a.status}, ${(((a.end ?? props.now) - a.start) / 1000).toFixed(2)} s`}
                    style={{
                      left: pct(a.start),
                      width: `max(2px, calc(${pct(a.end ?? props.now)} - ${pct(a.start)}))`,
                    }}
                  />
                ))}
              </span>
            </div>
          );
        }}
      />
    </div>
  );
}

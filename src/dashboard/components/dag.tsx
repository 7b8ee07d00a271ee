/**
 * A run's DAG: steps in layers by the longest path from a root (a step sits one layer below
 * the deepest step it needs), coloured by state. Laid out here in linear time, so a run of
 * 10,000 steps draws at once; past MAX_DRAWN steps it shows a dense grid of state cells
 * instead of boxes and arrows (a picture of 10,000 arrows tells nothing).
 */
import { Component } from 'preact';
import { useMemo } from 'preact/hooks';
import { layers } from '../lib/run-model.ts';
import type { WorkflowStep } from '../lib/types.ts';

export const MAX_DRAWN = 400;
const W = 130;
const H = 32;
const GX = 24;
const GY = 46;
const PAD = 12;

/** Cells per re-rendered unit (5 rows of 100, styles.css): a change re-renders its chunk only. */
const CHUNK = 500;

interface ChunkProps {
  steps: WorkflowStep[];
  statuses: string[];
  signature: string;
}

class CellChunk extends Component<ChunkProps> {
  override shouldComponentUpdate(next: ChunkProps): boolean {
    return next.signature !== this.props.signature || next.steps !== this.props.steps;
  }

  override render() {
    const { steps, statuses } = this.props;
    // One block per chunk: off-screen ones are skipped by layout and paint (content-visibility).
    return (
      <div class="chunk">
        {steps.map((s, i) => (
          <span
            key={s.id}
            class={`cell st-${statuses[i]}`}
            data-step={s.id}
            data-status={statuses[i]}
          />
        ))}
      </div>
    );
  }
}

interface Placed {
  id: string;
  x: number;
  y: number;
  needs: string[];
}

export function Dag(props: {
  steps: readonly WorkflowStep[];
  status: (id: string) => string;
  onSelect?: (id: string) => void;
  selected?: string | undefined;
}) {
  const { steps } = props;
  const chunks = useMemo(() => {
    const out: WorkflowStep[][] = [];
    for (let i = 0; i < steps.length; i += CHUNK) out.push(steps.slice(i, i + CHUNK));
    return out;
  }, [steps]);
  const placed = useMemo(() => {
    if (steps.length > MAX_DRAWN) return { all: new Map<string, Placed>(), width: 0, height: 0 };
    const layer = layers(steps);
    const rows: Placed[][] = [];
    for (const s of steps) {
      const l = layer.get(s.id) ?? 0;
      (rows[l] ??= []).push({ id: s.id, x: 0, y: 0, needs: s.needs ?? [] });
    }
    const width = Math.max(...rows.map((r) => r.length), 1);
    const all = new Map<string, Placed>();
    rows.forEach((row, l) => {
      const offset = ((width - row.length) * (W + GX)) / 2;
      row.forEach((p, i) => {
        p.x = PAD + offset + i * (W + GX);
        p.y = PAD + l * (H + GY);
        all.set(p.id, p);
      });
    });
    return {
      all,
      width: width * (W + GX) - GX + PAD * 2,
      height: rows.length * (H + GY) - GY + PAD * 2,
    };
  }, [steps]);

  if (steps.length === 0) return <p class="muted">No steps yet.</p>;
  if (steps.length > MAX_DRAWN) {
    return (
      <div class="dag-grid" data-testid="dag">
        <p class="muted">{steps.length} steps: one cell each, in order.</p>
        {/* One listener for every cell: its step id names it, a hover titles it. */}
        <div
          class="cells"
          onClick={(e) => {
            const id = (e.target as HTMLElement).dataset['step'];
            if (id !== undefined) props.onSelect?.(id);
          }}
          onMouseOver={(e) => {
            const t = e.target as HTMLElement;
            if (t.dataset['step'] !== undefined)
              t.title = `${t.dataset['step']}: ${t.dataset['status'] ?? ''}`;
          }}
        >
          {chunks.map((chunk, i) => {
            const statuses = chunk.map((s) => props.status(s.id));
            return (
              <CellChunk key={i} steps={chunk} statuses={statuses} signature={statuses.join()} />
            );
          })}
        </div>
      </div>
    );
  }
  const { all } = placed;
  return (
    <div class="chart-scroll">
      <svg
        class="dag"
        data-testid="dag"
        width={placed.width}
        height={placed.height}
        viewBox={`0 0 ${placed.width} ${placed.height}`}
      >
        {[...all.values()].flatMap((p) =>
          p.needs
            .map((n) => all.get(n))
            .filter((f): f is Placed => f !== undefined)
            .map((f) => {
              const x1 = f.x + W / 2;
              const y1 = f.y + H;
              const x2 = p.x + W / 2;
              const y2 = p.y;
              const my = (y1 + y2) / 2;
              return (
                <path
                  key={`${f.id}->${p.id}`}
                  class="dag-edge"
                  d={`M${x1},${y1} C${x1},${my} ${x2},${my} ${x2},${y2}`}
                />
              );
            }),
        )}
        {[...all.values()].map((p) => {
          const status = props.status(p.id);
          return (
            <g
              key={p.id}
              class={`dag-node st-${status}${props.selected === p.id ? ' selected' : ''}`}
              data-step={p.id}
              data-status={status}
              onClick={() => props.onSelect?.(p.id)}
            >
              <title>{`${p.id}: ${status}`}</title>
              <rect x={p.x} y={p.y} width={W} height={H} rx={6} />
              <text x={p.x + W / 2} y={p.y + H / 2 + 4} text-anchor="middle">
                {p.id.length > 17 ? `${p.id.slice(0, 16)}…` : p.id}
              </text>
            </g>
          );
        })}
      </svg>
    </div>
  );
}

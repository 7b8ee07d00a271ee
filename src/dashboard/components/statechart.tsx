/**
 * A statechart drawn from its machine's definition, laid out by ELK (layered, hierarchy
 * included: compound states hold their children, parallel regions sit side by side with dashed
 * borders). The same drawing serves a definition and a live actor: `active` lights the states
 * of the actor's current value. ELK is loaded on first use (its own chunk of the bundle).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { toElkGraph, type StateInfo, type StateNodeJson } from '../lib/statechart-model.ts';

interface Point {
  x: number;
  y: number;
}
interface LaidLabel {
  text?: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
}
interface LaidNode {
  id: string;
  x?: number;
  y?: number;
  width?: number;
  height?: number;
  labels?: LaidLabel[];
  children?: LaidNode[];
}
interface LaidEdge {
  id: string;
  sources: string[];
  targets: string[];
  labels?: LaidLabel[];
  sections?: { startPoint: Point; endPoint: Point; bendPoints?: Point[] }[];
}
interface Layout {
  width: number;
  height: number;
  nodes: LaidNode[];
  edges: LaidEdge[];
  states: Map<string, StateInfo>;
}

type ElkLike = { layout(graph: unknown): Promise<LaidNode & { edges?: LaidEdge[] }> };
let elkPromise: Promise<ElkLike> | undefined;
function elk(): Promise<ElkLike> {
  elkPromise ??= import('elkjs/lib/elk.bundled.js').then((m) => {
    const Ctor = (m.default ?? m) as unknown as new () => ElkLike;
    return new Ctor();
  });
  return elkPromise;
}

const layoutCache = new Map<string, Promise<Layout>>();

async function layOut(key: string, definition: StateNodeJson): Promise<Layout> {
  const cached = layoutCache.get(key);
  if (cached) return cached;
  const run = (async () => {
    const { graph, states } = toElkGraph(definition);
    const out = await (await elk()).layout(graph);
    const nodes: LaidNode[] = [];
    const flatten = (n: LaidNode): void => {
      nodes.push(n);
      for (const c of n.children ?? []) flatten(c);
    };
    for (const c of out.children ?? []) flatten(c);
    return {
      width: out.width ?? 0,
      height: out.height ?? 0,
      nodes,
      edges: out.edges ?? [],
      states,
    };
  })();
  layoutCache.set(key, run);
  run.catch(() => layoutCache.delete(key));
  return run;
}

function edgePath(e: LaidEdge): string {
  return (e.sections ?? [])
    .map((s) => {
      const pts = [s.startPoint, ...(s.bendPoints ?? []), s.endPoint];
      return pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x},${p.y}`).join(' ');
    })
    .join(' ');
}

export interface StatechartProps {
  /** A stable key of the definition (the machine's name). */
  name: string;
  definition: StateNodeJson;
  /** Ids of the active states (lit). */
  active?: Set<string>;
  /** The event of the last transition: its edges are lit too. */
  lastEvent?: string;
}

export function Statechart(props: StatechartProps) {
  const [layout, setLayout] = useState<Layout | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [fit, setFit] = useState(true);
  useEffect(() => {
    let live = true;
    setLayout(undefined);
    layOut(props.name, props.definition).then(
      (l) => live && setLayout(l),
      (err: unknown) => live && setError(String(err)),
    );
    return () => {
      live = false;
    };
  }, [props.name, props.definition]);

  const active = props.active;
  const ordered = useMemo(
    () =>
      layout
        ? [...layout.nodes].sort(
            (a, b) => (layout.states.get(a.id)?.depth ?? 0) - (layout.states.get(b.id)?.depth ?? 0),
          )
        : [],
    [layout],
  );
  if (error) return <p class="error">Layout failed: {error}</p>;
  if (!layout) return <p class="muted">Laying out {props.name}…</p>;
  const pad = 8;
  const w = layout.width + pad * 2;
  const h = layout.height + pad * 2;
  /** One state: compound ones are drawn under the transitions, leaves over them. */
  const drawState = (n: (typeof ordered)[number]) => {
    const info = layout.states.get(n.id);
    const lit = active?.has(n.id) ?? false;
    const cls = [
      'state',
      info?.hasChildren ? 'compound' : 'leaf',
      info?.type === 'parallel' ? 'parallel' : '',
      info?.region ? 'region' : '',
      info?.type === 'final' ? 'final' : '',
      lit ? 'active' : '',
    ].join(' ');
    const label = n.labels?.[0];
    const x = n.x ?? 0;
    const y = n.y ?? 0;
    const w = n.width ?? 0;
    const h = n.height ?? 0;
    return (
      <g class={cls} key={n.id} data-state={n.id} data-active={lit ? 'true' : 'false'}>
        <rect x={x} y={y} width={w} height={h} rx={info?.hasChildren ? 10 : 16} />
        {info?.type === 'final' && (
          <rect class="inner" x={x + 3} y={y + 3} width={w - 6} height={h - 6} rx={13} />
        )}
        {info?.initial && info.depth > 0 && (
          <circle class="initial-dot" cx={x + 6} cy={y + 6} r={4} />
        )}
        <text
          x={info?.hasChildren ? x + 10 : x + w / 2}
          y={info?.hasChildren ? y + 18 : y + h / 2 + 4}
          text-anchor={info?.hasChildren ? 'start' : 'middle'}
        >
          {label?.text ?? n.id}
        </text>
      </g>
    );
  };

  return (
    <div class="chart-scroll">
      <button type="button" class="fit" onClick={() => setFit((f) => !f)}>
        {fit ? 'Actual size' : 'Fit'}
      </button>
      <svg
        class="statechart"
        data-testid={`statechart-${props.name}`}
        width={fit ? '100%' : w}
        height={fit ? undefined : h}
        style={fit ? { maxWidth: `${w}px`, aspectRatio: `${w} / ${h}` } : undefined}
        viewBox={`${-pad} ${-pad} ${w} ${h}`}
        role="img"
        aria-label={`statechart of ${props.name}`}
      >
        <defs>
          <marker
            id="arrow"
            viewBox="0 0 10 10"
            refX="9"
            refY="5"
            markerWidth="7"
            markerHeight="7"
            orient="auto-start-reverse"
          >
            <path d="M0,0 L10,5 L0,10 z" class="arrowhead" />
          </marker>
        </defs>
        {ordered.filter((n) => layout.states.get(n.id)?.hasChildren).map(drawState)}
        {layout.edges.map((e) => {
          const label = e.labels?.[0];
          const lit =
            props.lastEvent !== undefined &&
            label?.text?.split(' [')[0] === props.lastEvent &&
            (active?.has(e.targets[0] ?? '') ?? false);
          return (
            <g class={`transition${lit ? ' lit' : ''}`} key={e.id}>
              <path d={edgePath(e)} marker-end="url(#arrow)" />
              {label && (
                <text
                  x={(label.x ?? 0) + (label.width ?? 0) / 2}
                  y={(label.y ?? 0) + 12}
                  text-anchor="middle"
                >
                  {label.text}
                </text>
              )}
            </g>
          );
        })}
        {ordered.filter((n) => !layout.states.get(n.id)?.hasChildren).map(drawState)}
      </svg>
    </div>
  );
}

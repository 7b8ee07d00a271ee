/**
 * From a machine's own definition (XState's JSON of its state nodes, what
 * `GET /api/machines/:name?format=json` answers) to an ELK graph: one node per state (compound
 * and parallel states hold their children), one edge per transition labelled with its event and
 * guard. And from a live actor's state value to the ids of its active states. Pure: no DOM.
 */
import type { StateValue } from './types.ts';

/** A state node of XState's machine JSON (the fields drawn). */
export interface StateNodeJson {
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  initial?: { target?: string[] } | string;
  states?: Record<string, StateNodeJson>;
  transitions?: TransitionJson[];
  /** Eventless transitions, where the JSON carries them. */
  always?: TransitionJson[];
}

export interface TransitionJson {
  eventType?: string | null;
  guard?: string | { type?: string } | null;
  target?: string[] | null;
  source?: string;
}

export interface ElkLabelIn {
  text: string;
  width: number;
  height: number;
}
export interface ElkNodeIn {
  id: string;
  width?: number;
  height?: number;
  labels?: ElkLabelIn[];
  children?: ElkNodeIn[];
  edges?: ElkEdgeIn[];
  layoutOptions?: Record<string, string>;
}
export interface ElkEdgeIn {
  id: string;
  sources: string[];
  targets: string[];
  labels?: ElkLabelIn[];
}

/** What the drawing needs to know of each state besides its box. */
export interface StateInfo {
  id: string;
  key: string;
  type: StateNodeJson['type'];
  depth: number;
  initial: boolean;
  /** Its parent is parallel: it is a region. */
  region: boolean;
  hasChildren: boolean;
}

const CHAR_W = 6.6;
const LINE_H = 14;

function label(text: string): ElkLabelIn {
  return { text, width: Math.ceil(text.length * CHAR_W) + 6, height: LINE_H + 2 };
}

/** A short, readable name of a transition's event (XState's internal ones shortened). */
export function eventLabel(eventType: string | null | undefined): string {
  if (eventType === null || eventType === undefined || eventType === '') return 'always';
  let m = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (m) return `after ${m[1]}`;
  m = /^xstate\.(done|error)\.actor\.(.*)$/.exec(eventType);
  if (m) {
    const who = m[2] ?? '';
    // `0.step.running` (an invoked actor by index) says nothing more than "done".
    return /^\d+\./.test(who) || who === '*' ? (m[1] as string) : `${m[1]}: ${who}`;
  }
  m = /^xstate\.done\.state\./.exec(eventType);
  if (m) return 'done';
  return eventType;
}

export function guardLabel(guard: TransitionJson['guard']): string | undefined {
  if (guard === null || guard === undefined) return undefined;
  if (typeof guard === 'string') return guard;
  return guard.type ?? 'guard';
}

export function transitionLabel(t: TransitionJson): string {
  const g = guardLabel(t.guard);
  return g === undefined ? eventLabel(t.eventType) : `${eventLabel(t.eventType)} [${g}]`;
}

function initialTargets(node: StateNodeJson): string[] {
  const init = node.initial;
  if (init === undefined) return [];
  if (typeof init === 'string') return [`${node.id}.${init}`];
  return (init.target ?? []).map((t) => t.replace(/^#/, ''));
}

/** The ELK graph of a machine, with the facts of each state by id. */
export function toElkGraph(root: StateNodeJson): {
  graph: ElkNodeIn;
  states: Map<string, StateInfo>;
} {
  const states = new Map<string, StateInfo>();
  const edges: ElkEdgeIn[] = [];
  const known = new Set<string>();
  const collect = (n: StateNodeJson): void => {
    known.add(n.id);
    for (const c of Object.values(n.states ?? {})) collect(c);
  };
  collect(root);

  const visit = (n: StateNodeJson, depth: number, initial: boolean, region: boolean): ElkNodeIn => {
    const kids = Object.values(n.states ?? {});
    const inits = new Set(initialTargets(n));
    states.set(n.id, {
      id: n.id,
      key: n.key,
      type: n.type,
      depth,
      initial,
      region,
      hasChildren: kids.length > 0,
    });
    let i = 0;
    const all = [
      ...(n.transitions ?? []),
      ...(n.always ?? []).map((t) => ({ ...t, eventType: '' })),
    ];
    for (const t of all) {
      const targets = (t.target ?? []).map((x) => x.replace(/^#/, '')).filter((x) => known.has(x));
      for (const target of targets) {
        edges.push({
          id: `e${edges.length}:${n.id}:${i}`,
          sources: [n.id],
          targets: [target],
          labels: [label(transitionLabel(t))],
        });
      }
      i++;
    }
    const node: ElkNodeIn = { id: n.id, labels: [label(n.key)] };
    if (kids.length > 0) {
      node.children = kids.map((k) =>
        visit(k, depth + 1, n.type !== 'parallel' && inits.has(k.id), n.type === 'parallel'),
      );
      node.layoutOptions = {
        'elk.padding': '[top=30,left=14,bottom=14,right=14]',
        'elk.nodeLabels.placement': 'INSIDE V_TOP H_LEFT',
        ...(n.type === 'parallel' && { 'elk.direction': 'RIGHT' }),
      };
    } else {
      node.width = Math.max(90, Math.ceil(n.key.length * 7.4) + 28);
      node.height = 36;
    }
    return node;
  };

  const top = visit(root, 0, true, false);
  const graph: ElkNodeIn = {
    id: '__root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.json.edgeCoords': 'ROOT',
      'elk.json.shapeCoords': 'ROOT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '40',
      'elk.spacing.nodeNode': '30',
      'elk.spacing.edgeLabel': '4',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.layered.nodePlacement.strategy': 'NETWORK_SIMPLEX',
    },
    children: [top],
    edges,
  };
  return { graph, states };
}

/**
 * The ids of the active states for a state value under the machine's root id:
 * `{running: 'busy'}` under `session` → session, session.running, session.running.busy.
 */
export function activeStateIds(rootId: string, value: StateValue | null | undefined): Set<string> {
  const out = new Set<string>([rootId]);
  const walk = (prefix: string, v: StateValue): void => {
    if (typeof v === 'string') {
      out.add(`${prefix}.${v}`);
      return;
    }
    for (const [k, sub] of Object.entries(v)) {
      out.add(`${prefix}.${k}`);
      walk(`${prefix}.${k}`, sub);
    }
  };
  if (value !== null && value !== undefined) walk(rootId, value);
  return out;
}

/** A state value as text: `running.busy`, `{a: x, b: y}` for parallel ones. */
export function valueText(value: StateValue | null | undefined): string {
  if (value === null || value === undefined) return '–';
  if (typeof value === 'string') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [k, v] = entries[0] as [string, StateValue];
    return `${k}.${valueText(v)}`;
  }
  return `{${entries.map(([k, v]) => `${k}: ${valueText(v)}`).join(', ')}}`;
}

/**
 * The step graph: checks (duplicate ids, unknown and self needs, cycles with their path) and
 * planning (parallel levels, topological order, dependents, critical path). Iterative, O(V+E).
 * @module
 */
import { InvalidWorkflowError, type FieldIssue } from '../errors.ts';
import type { StepDefinition, WorkflowDefinition } from './types.ts';

/** The part of a step the graph needs. */
export interface DagNode {
  id: string;
  needs: readonly string[];
}

/** One graph problem; `path` points into the definition (`steps[2].needs[0]`). */
export interface DagIssue extends FieldIssue {
  code: 'duplicate_id' | 'unknown_need' | 'self_need' | 'cycle';
  stepId: string;
  /** The missing need (unknown_need). */
  need?: string;
  /** The cycle, each step needing the next, first step repeated at the end (cycle). */
  cycle?: string[];
}

/**
 * Adjacency lists packed in two typed arrays (compressed sparse rows): the lists of node `i` are
 * `list[start[i]]` to `list[start[i + 1] - 1]`. A 10,000-step graph is two arrays per direction
 * rather than 20,000 small ones for the collector.
 */
interface Adjacency {
  start: Int32Array;
  list: Int32Array;
}

interface Graph {
  /** Each step's id, read once. */
  ids: string[];
  /** Index of the first step with each id. */
  index: Map<string, number>;
  /** Per step: indexes of its valid needs (deduplicated); none for duplicate ids. */
  needs: Adjacency;
  /** Indexes in topological order; steps on or behind a cycle are missing. */
  order: Int32Array;
  /** How many steps `order` holds. */
  ordered: number;
  /** Per step: 0-based parallel level (valid only for steps in `order`). */
  level: Int32Array;
  issues: DagIssue[];
}

/** Index of each step's first occurrence, and the duplicate-id issues. */
function indexSteps(steps: readonly DagNode[], ids: string[], issues: DagIssue[]) {
  const index = new Map<string, number>();
  const first = new Uint8Array(steps.length);
  for (let i = 0; i < steps.length; i++) {
    // Read once: step objects of different kinds have different shapes, so reads are slow ones.
    const id = steps[i]!.id;
    ids[i] = id;
    const earlier = index.get(id);
    if (earlier === undefined) {
      index.set(id, i);
      first[i] = 1;
    } else {
      const message = `duplicate step id '${id}' (first at steps[${earlier}])`;
      issues.push({ code: 'duplicate_id', path: `steps[${i}].id`, message, stepId: id });
    }
  }
  return { index, first };
}

/** The valid, deduplicated needs of every first-of-its-id step; the others become issues. */
function resolveNeeds(
  steps: readonly DagNode[],
  index: Map<string, number>,
  first: Uint8Array,
  issues: DagIssue[],
): Adjacency {
  const n = steps.length;
  let total = 0;
  for (let i = 0; i < n; i++) if (first[i] === 1) total += steps[i]!.needs.length;
  const start = new Int32Array(n + 1);
  const list = new Int32Array(total);
  let end = 0;
  for (let i = 0; i < n; i++) {
    start[i] = end;
    if (first[i] === 0) continue;
    const s = steps[i]!;
    const own = s.needs;
    for (let k = 0; k < own.length; k++) {
      const need = own[k]!;
      const j = index.get(need);
      if (need === s.id) {
        const path = `steps[${i}].needs[${k}]`;
        issues.push({
          code: 'self_need',
          path,
          message: `step '${s.id}' needs itself`,
          stepId: s.id,
        });
      } else if (j === undefined) {
        const path = `steps[${i}].needs[${k}]`;
        const message = `step '${s.id}' needs unknown step '${need}'`;
        issues.push({ code: 'unknown_need', path, message, stepId: s.id, need });
      } else if (list.subarray(start[i], end).indexOf(j) < 0) {
        list[end++] = j; // needs lists are short: a scan beats a Set per step
      }
    }
  }
  start[n] = end;
  return { start, list };
}

/** The reverse of `needs`: who needs each step. */
function reverse(needs: Adjacency, n: number): Adjacency {
  const start = new Int32Array(n + 1);
  const list = new Int32Array(needs.start[n]!);
  for (let e = 0; e < list.length; e++) start[needs.list[e]! + 1]!++;
  for (let i = 0; i < n; i++) start[i + 1]! += start[i]!;
  const fill = start.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let e = needs.start[i]!; e < needs.start[i + 1]!; e++) list[fill[needs.list[e]!]!++] = i;
  }
  return { start, list };
}

function buildGraph(steps: readonly DagNode[]): Graph {
  const n = steps.length;
  const issues: DagIssue[] = [];
  const ids = new Array<string>(n);
  const { index, first } = indexSteps(steps, ids, issues);
  const needs = resolveNeeds(steps, index, first, issues);
  const dependents = reverse(needs, n);
  // Kahn's algorithm: a step is ordered once all its needs are.
  const pending = new Int32Array(n);
  for (let i = 0; i < n; i++) pending[i] = needs.start[i + 1]! - needs.start[i]!;
  const level = new Int32Array(n);
  const order = new Int32Array(n);
  let ordered = 0;
  for (let i = 0; i < n; i++) if (first[i] === 1 && pending[i] === 0) order[ordered++] = i;
  for (let head = 0; head < ordered; head++) {
    const i = order[head]!;
    const next = level[i]! + 1;
    for (let e = dependents.start[i]!; e < dependents.start[i + 1]!; e++) {
      const d = dependents.list[e]!;
      if (next > level[d]!) level[d] = next;
      if (--pending[d]! === 0) order[ordered++] = d;
    }
  }
  if (ordered < index.size) issues.push(...findCycles(ids, index, needs, pending));
  return { ids, index, needs, order, ordered, level, issues };
}

/** Reports each cycle among the steps Kahn's algorithm could not order (`pending > 0`). */
function findCycles(
  ids: readonly string[],
  index: Map<string, number>,
  needs: Adjacency,
  pending: Int32Array,
): DagIssue[] {
  const issues: DagIssue[] = [];
  const state = new Uint8Array(ids.length); // 0 new, 1 on walk, 2 done
  const pos = new Int32Array(ids.length);
  const unorderedNeed = (i: number): number => {
    for (let e = needs.start[i]!; e < needs.start[i + 1]!; e++) {
      if (pending[needs.list[e]!]! > 0) return needs.list[e]!;
    }
    return -1;
  };
  for (const start of index.values()) {
    if (pending[start] === 0 || state[start] !== 0) continue;
    const walk: number[] = [];
    let cur = start;
    // Every unordered step has at least one unordered need, so the walk ends on a repeat.
    while (state[cur] === 0) {
      state[cur] = 1;
      pos[cur] = walk.length;
      walk.push(cur);
      cur = unorderedNeed(cur);
    }
    if (state[cur] === 1) {
      const ring = walk.slice(pos[cur]);
      const first = ring.reduce((m, v, k) => (v < ring[m]! ? k : m), 0);
      const rotated = [...ring.slice(first), ...ring.slice(0, first)];
      const cycle = [...rotated, rotated[0]!].map((i) => ids[i]!);
      const head = rotated[0]!;
      issues.push({
        code: 'cycle',
        path: `steps[${head}].needs`,
        message: `dependency cycle: ${cycle.join(' -> ')} (each step needs the next)`,
        stepId: ids[head]!,
        cycle,
      });
    }
    for (const i of walk) state[i] = 2;
  }
  return issues;
}

/** Checks the step graph; returns every problem (empty when the graph is a valid DAG). */
export function checkDag(steps: readonly DagNode[]): DagIssue[] {
  return buildGraph(steps).issues;
}

/** Options of planDag. */
export interface PlanOptions {
  /**
   * Expected duration of a step in ms (e.g. from history); undefined when unknown.
   * @default sleep steps their sleep, noop 0, others their timeout (or the workflow default)
   */
  durationOf?: (step: StepDefinition, index: number) => number | undefined;
}

/** The plan of a valid workflow graph. */
export interface DagPlan {
  /** Steps grouped by depth: every step's needs are in earlier levels. */
  levels: string[][];
  /** The longest chain of steps, first to last. */
  criticalPath: string[];
  /** `duration` when every step's duration is known, else `steps` (each step counts 1). */
  criticalPathBy: 'duration' | 'steps';
  /** Length of the critical path: ms when by duration, else the number of steps. */
  criticalPathCost: number;
  /** Width of the widest level. */
  maxParallelism: number;
}

function defaultDurationOf(def: WorkflowDefinition) {
  return (s: StepDefinition): number | undefined =>
    s.kind === 'sleep' ? s.sleepMs : s.kind === 'noop' ? 0 : (s.timeoutMs ?? def.defaultTimeoutMs);
}

/** Plans a workflow's graph; throws InvalidWorkflowError when the graph is invalid. */
export function planDag(def: WorkflowDefinition, opts: PlanOptions = {}): DagPlan {
  const { steps } = def;
  const g = buildGraph(steps);
  if (g.issues.length > 0) throw InvalidWorkflowError.format(g.issues);
  const levels: string[][] = [];
  for (let i = 0; i < steps.length; i++) (levels[g.level[i]!] ??= []).push(g.ids[i]!);
  const durationOf = opts.durationOf ?? defaultDurationOf(def);
  const weight = new Float64Array(steps.length);
  let byDuration = true;
  for (let i = 0; i < steps.length; i++) {
    const d = durationOf(steps[i]!, i);
    if (d === undefined || !Number.isFinite(d)) byDuration = false;
    else weight[i] = d;
  }
  if (!byDuration) weight.fill(1);
  // Longest path by (cost, then number of steps), so zero-cost steps still extend the path.
  const cost = new Float64Array(steps.length);
  const depth = new Int32Array(steps.length);
  const prev = new Int32Array(steps.length).fill(-1);
  const longer = (i: number, j: number) =>
    cost[i]! > cost[j]! || (cost[i] === cost[j] && depth[i]! > depth[j]!);
  let end = g.order[0]!;
  const { start, list } = g.needs;
  for (let o = 0; o < g.ordered; o++) {
    const i = g.order[o]!;
    for (let e = start[i]!; e < start[i + 1]!; e++) {
      const j = list[e]!;
      if (prev[i] === -1 || longer(j, prev[i]!)) prev[i] = j;
    }
    const p = prev[i]!;
    cost[i] = (p === -1 ? 0 : cost[p]!) + weight[i]!;
    depth[i] = (p === -1 ? 0 : depth[p]!) + 1;
    if (longer(i, end) || (!longer(end, i) && i < end)) end = i;
  }
  const criticalPath: string[] = [];
  for (let i = end; i !== -1; i = prev[i]!) criticalPath.push(g.ids[i]!);
  criticalPath.reverse();
  return {
    levels,
    criticalPath,
    criticalPathBy: byDuration ? 'duration' : 'steps',
    criticalPathCost: cost[end]!,
    maxParallelism: levels.reduce((m, l) => Math.max(m, l.length), 0),
  };
}

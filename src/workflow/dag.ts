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

interface Graph {
  /** Index of the first step with each id. */
  index: Map<string, number>;
  /** Per step: indexes of its valid needs (deduplicated); empty for duplicate ids. */
  needs: number[][];
  /** Indexes in topological order; steps on or behind a cycle are missing. */
  order: number[];
  /** Per step: 0-based parallel level (valid only for steps in `order`). */
  level: number[];
  issues: DagIssue[];
}

function buildGraph(steps: readonly DagNode[]): Graph {
  const index = new Map<string, number>();
  const issues: DagIssue[] = [];
  steps.forEach((s, i) => {
    const first = index.get(s.id);
    if (first === undefined) index.set(s.id, i);
    else {
      const message = `duplicate step id '${s.id}' (first at steps[${first}])`;
      issues.push({ code: 'duplicate_id', path: `steps[${i}].id`, message, stepId: s.id });
    }
  });
  const needs: number[][] = steps.map(() => []);
  const dependents: number[][] = steps.map(() => []);
  const pending = new Array<number>(steps.length).fill(0);
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (index.get(s.id) !== i) continue;
    // Needs lists are short: a scan beats a Set per step (10,000-step graphs: GC pressure).
    const mine = needs[i]!;
    for (let k = 0; k < s.needs.length; k++) {
      const need = s.needs[k]!;
      const j = index.get(need);
      const path = j === undefined || need === s.id ? `steps[${i}].needs[${k}]` : '';
      if (need === s.id) {
        issues.push({
          code: 'self_need',
          path,
          message: `step '${s.id}' needs itself`,
          stepId: s.id,
        });
      } else if (j === undefined) {
        const message = `step '${s.id}' needs unknown step '${need}'`;
        issues.push({ code: 'unknown_need', path, message, stepId: s.id, need });
      } else if (!mine.includes(j)) {
        mine.push(j);
        dependents[j]!.push(i);
        pending[i]!++;
      }
    }
  }
  const level = new Array<number>(steps.length).fill(0);
  const order: number[] = [];
  steps.forEach((s, i) => {
    if (index.get(s.id) === i && pending[i] === 0) order.push(i);
  });
  for (let head = 0; head < order.length; head++) {
    const i = order[head]!;
    for (const d of dependents[i]!) {
      if (level[i]! + 1 > level[d]!) level[d] = level[i]! + 1;
      if (--pending[d]! === 0) order.push(d);
    }
  }
  if (order.length < index.size) issues.push(...findCycles(steps, index, needs, pending));
  return { index, needs, order, level, issues };
}

/** Reports each cycle among the steps Kahn's algorithm could not order (`pending > 0`). */
function findCycles(
  steps: readonly DagNode[],
  index: Map<string, number>,
  needs: number[][],
  pending: number[],
): DagIssue[] {
  const issues: DagIssue[] = [];
  const state = new Array<number>(steps.length).fill(0); // 0 new, 1 on walk, 2 done
  const pos = new Array<number>(steps.length).fill(0);
  for (const start of index.values()) {
    if (pending[start] === 0 || state[start] !== 0) continue;
    const walk: number[] = [];
    let cur = start;
    // Every unordered step has at least one unordered need, so the walk ends on a repeat.
    while (state[cur] === 0) {
      state[cur] = 1;
      pos[cur] = walk.length;
      walk.push(cur);
      cur = needs[cur]!.find((j) => pending[j]! > 0)!;
    }
    if (state[cur] === 1) {
      const ring = walk.slice(pos[cur]);
      const first = ring.reduce((m, v, k) => (v < ring[m]! ? k : m), 0);
      const rotated = [...ring.slice(first), ...ring.slice(0, first)];
      const cycle = [...rotated, rotated[0]!].map((i) => steps[i]!.id);
      const head = rotated[0]!;
      issues.push({
        code: 'cycle',
        path: `steps[${head}].needs`,
        message: `dependency cycle: ${cycle.join(' -> ')} (each step needs the next)`,
        stepId: steps[head]!.id,
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
  durationOf?: (step: StepDefinition) => number | undefined;
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
  for (let i = 0; i < steps.length; i++) (levels[g.level[i]!] ??= []).push(steps[i]!.id);
  const durationOf = opts.durationOf ?? defaultDurationOf(def);
  const known = steps.map((s) => durationOf(s));
  const byDuration = known.every((d) => d !== undefined && Number.isFinite(d));
  const weight = byDuration ? (known as number[]) : steps.map(() => 1);
  // Longest path by (cost, then number of steps), so zero-cost steps still extend the path.
  const cost = new Array<number>(steps.length).fill(0);
  const depth = new Array<number>(steps.length).fill(0);
  const prev = new Array<number>(steps.length).fill(-1);
  const longer = (i: number, j: number) =>
    cost[i]! > cost[j]! || (cost[i] === cost[j] && depth[i]! > depth[j]!);
  let end = g.order[0]!;
  for (const i of g.order) {
    for (const j of g.needs[i]!) if (prev[i] === -1 || longer(j, prev[i]!)) prev[i] = j;
    const p = prev[i]!;
    cost[i] = (p === -1 ? 0 : cost[p]!) + weight[i]!;
    depth[i] = (p === -1 ? 0 : depth[p]!) + 1;
    if (longer(i, end) || (!longer(end, i) && i < end)) end = i;
  }
  const criticalPath: string[] = [];
  for (let i = end; i !== -1; i = prev[i]!) criticalPath.push(steps[i]!.id);
  criticalPath.reverse();
  return {
    levels,
    criticalPath,
    criticalPathBy: byDuration ? 'duration' : 'steps',
    criticalPathCost: cost[end]!,
    maxParallelism: levels.reduce((m, l) => Math.max(m, l.length), 0),
  };
}

/** Pure helpers of the run views (no DOM): DAG layers, the log text's lines. */
import type { WorkflowStep } from './types.ts';

/** A line of output as the log views show it. */
export interface ParsedLine {
  key: string | number;
  step?: string;
  stream: string;
  text: string;
}

/**
 * Each step's layer: one below the deepest step it needs (roots at 0). Linear in steps and
 * edges; a cycle (refused by the server anyway) is cut rather than followed forever.
 */
export function layers(steps: readonly WorkflowStep[]): Map<string, number> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const depth = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    let d = 0;
    for (const n of byId.get(id)?.needs ?? []) if (byId.has(n)) d = Math.max(d, depth(n) + 1);
    visiting.delete(id);
    layer.set(id, d);
    return d;
  };
  for (const s of steps) depth(s.id);
  return layer;
}

/** Parses `GET /api/executions/:id/logs`: `<step> <stream> | <line>`; other lines are notes. */
export function parseLogText(text: string): ParsedLine[] {
  const out: ParsedLine[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw === '') return;
    const m = /^(\S+) (stdout|stderr) \| ?(.*)$/.exec(raw);
    out.push(
      m
        ? { key: `t${i}`, step: m[1] as string, stream: m[2] as string, text: m[3] as string }
        : { key: `t${i}`, stream: 'note', text: raw },
    );
  });
  return out;
}

/**
 * `stator plan FILE [--input JSON] [--json]`: asks the server for the plan of a workflow file
 * (`POST /api/plans`, so estimates come from the server's history of that workflow id) and
 * prints its errors, levels, critical path and safety findings. Exit 0 for a valid plan without
 * critical findings, 1 otherwise (or when the server refuses), 2 for a usage error.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Plan } from '../../plans/index.ts';
import { err, out } from '../cli-io.ts';
import { HELP } from '../help.ts';
import { REMOTE_OPTIONS, requestJson, resolveRemote } from './api-client.ts';

const ms = (n: number | null) =>
  n === null ? '?' : n < 1000 ? `${Math.round(n)}ms` : `${(n / 1000).toFixed(1)}s`;

/** The plan as text for people. */
export function formatPlan(plan: Plan): string {
  const lines: string[] = [];
  lines.push(`${plan.valid ? 'valid' : 'INVALID'}: ${plan.workflowId ?? '(no id)'}`);
  for (const e of plan.errors) lines.push(`  error ${e.path ? `${e.path}: ` : ''}${e.message}`);
  if (plan.levels.length > 0) {
    lines.push(`levels (${plan.levels.length}):`);
    const shown = plan.levels.slice(0, 20);
    shown.forEach((l, i) => {
      const ids = l.length > 12 ? `${l.slice(0, 12).join(', ')}, ... (${l.length})` : l.join(', ');
      lines.push(`  ${i + 1}. ${ids}`);
    });
    if (plan.levels.length > shown.length) lines.push(`  ... ${plan.levels.length - 20} more`);
    const est = new Map(plan.steps.map((s) => [s.id, s]));
    const path = plan.criticalPath.map((id) => `${id} (${ms(est.get(id)?.estimateMs ?? null)})`);
    lines.push(`critical path (${ms(plan.criticalPathMs)}): ${path.join(' -> ')}`);
  }
  if (plan.findings.length === 0) lines.push('findings: none');
  else lines.push(`findings (${plan.findings.length}):`);
  for (const f of plan.findings) {
    const at = f.stepId === undefined ? '' : ` [${f.stepId}]`;
    lines.push(`  ${f.severity.toUpperCase()} ${f.rule}${at}: ${f.message}`);
  }
  return lines.join('\n');
}

/** Runs `stator plan`; resolves with the exit code. */
export async function planCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...REMOTE_OPTIONS, input: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (values.help) return (out(HELP.plan!), 0);
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) return (err(HELP.plan!), 2);
  let input: unknown;
  if (values.input !== undefined) {
    try {
      input = JSON.parse(values.input);
    } catch (e) {
      return (err(`--input is not JSON: ${(e as Error).message}`), 2);
    }
  }
  const text = await readFile(file, 'utf8');
  const workflow = file.toLowerCase().endsWith('.json') ? JSON.parse(text) : text;
  const plan = await requestJson<Plan>(resolveRemote(values), 'POST', '/api/plans', {
    workflow,
    ...(input !== undefined && { input }),
  });
  out(values.json ? JSON.stringify(plan, null, 2) : formatPlan(plan));
  return plan.valid && !plan.findings.some((f) => f.severity === 'critical') ? 0 : 1;
}

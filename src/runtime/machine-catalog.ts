/**
 * The statecharts of every machine, for visual inspection: xstate's JSON definition and a
 * Mermaid `stateDiagram-v2` rendering. Read from the machine definitions themselves, so a
 * diagram can never drift from the code.
 * @module
 */
import type { AnyStateMachine } from 'xstate';
import { stepMachine } from '../../machines/step.machine.ts';
import { executionMachine } from '../../machines/execution.machine.ts';
import { engineMachine } from '../../machines/engine.machine.ts';
import { monitorMachine } from '../../machines/monitor.machine.ts';
import { triggerMachine } from '../../machines/trigger.machine.ts';
import { sessionMachine } from '../../machines/session.machine.ts';
import { NotFoundError } from '../errors.ts';
import type { MachineInfo } from './types.ts';

const CATALOG: Array<{ name: string; description: string; machine: AnyStateMachine }> = [
  {
    name: 'execution',
    description: 'One run of a workflow: schedules the DAG, spawns steps up to its concurrency.',
    machine: executionMachine,
  },
  {
    name: 'step',
    description:
      'One step: waiting (interrupted when resumed after its process stopped), running, retrying with backoff, and its final states.',
    machine: stepMachine,
  },
  {
    name: 'engine',
    description: 'An executor with slots: idle, running, paused, draining, stopped.',
    machine: engineMachine,
  },
  {
    name: 'monitor',
    description: 'Fans outbound events out to subscribers with bounded buffers.',
    machine: monitorMachine,
  },
  {
    name: 'trigger',
    description: 'One cron, http or nats trigger: active, paused, firing (overlap policy), error.',
    machine: triggerMachine,
  },
  {
    name: 'session',
    description:
      'A supervised process: starting, running (busy, idle, awaiting_input), stopping, crashed, restarting with backoff, failed.',
    machine: sessionMachine,
  },
];

interface NodeLike {
  id: string;
  key: string;
  type: string;
  states: Record<string, NodeLike>;
  config: { initial?: string };
  transitions: Map<string, Array<{ eventType: string; target?: NodeLike[]; guard?: unknown }>>;
  always?: Array<{ target?: NodeLike[]; guard?: unknown }>;
  invoke: Array<{ src: unknown }>;
}

function guardName(guard: unknown): string {
  if (!guard) return '';
  return ` [${guardLabel(guard)}]`;
}

/** A guard by name; xstate's `and`/`or`/`not` are functions that list the guards they combine. */
function guardLabel(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && guard && 'type' in guard) return String(guard.type);
  if (typeof guard === 'function' && 'guards' in guard && Array.isArray(guard.guards)) {
    const parts = guard.guards.map(guardLabel);
    if (guard.name === 'not') return `not ${parts.join('')}`;
    return parts.join(guard.name === 'or' ? ' or ' : ' and ');
  }
  return 'guarded';
}

function label(eventType: string): string {
  if (eventType.startsWith('xstate.after.')) return `after ${eventType.split('.')[2]}`;
  if (eventType.startsWith('xstate.done.actor.')) {
    return eventType.endsWith('*') ? 'child done' : 'done';
  }
  if (eventType.startsWith('xstate.error.actor.')) {
    return eventType.endsWith('*') ? 'child error' : 'error';
  }
  return eventType;
}

function mermaidId(node: NodeLike): string {
  return node.id.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Renders a machine as Mermaid `stateDiagram-v2` text. */
export function toMermaid(machine: AnyStateMachine): string {
  const lines = ['stateDiagram-v2'];
  const walk = (node: NodeLike, depth: number): void => {
    const pad = '  '.repeat(depth);
    const children = Object.values(node.states);
    if (node.config.initial) {
      const first = node.states[node.config.initial];
      if (first) lines.push(`${pad}[*] --> ${mermaidId(first)}`);
    }
    for (const child of children) {
      lines.push(`${pad}state "${child.key}" as ${mermaidId(child)}`);
      if (Object.keys(child.states).length > 0) {
        lines.push(`${pad}state ${mermaidId(child)} {`);
        walk(child, depth + 1);
        lines.push(`${pad}}`);
      }
      if (child.type === 'final') lines.push(`${pad}${mermaidId(child)} --> [*]`);
      for (const inv of child.invoke) {
        lines.push(`${pad}note right of ${mermaidId(child)} : invokes ${String(inv.src)}`);
      }
      for (const [, transitions] of child.transitions) {
        for (const t of transitions) {
          for (const target of t.target ?? []) {
            lines.push(
              `${pad}${mermaidId(child)} --> ${mermaidId(target)} : ${label(t.eventType)}${guardName(t.guard)}`,
            );
          }
        }
      }
      for (const t of child.always ?? []) {
        for (const target of t.target ?? []) {
          lines.push(
            `${pad}${mermaidId(child)} --> ${mermaidId(target)} : always${guardName(t.guard)}`,
          );
        }
      }
    }
  };
  const root = machine.root as unknown as NodeLike;
  walk(root, 1);
  // Root-level transitions (e.g. `stop` from anywhere).
  for (const [, transitions] of root.transitions) {
    for (const t of transitions) {
      for (const target of t.target ?? []) {
        lines.push(`  note right of ${mermaidId(target)} : ${label(t.eventType)} from any state`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

/** Every machine with its JSON definition and Mermaid text. */
export function machineInfos(): MachineInfo[] {
  return CATALOG.map(({ name, description, machine }) => ({
    name,
    description,
    definition: JSON.parse(
      JSON.stringify(machine.toJSON(), (key, value) =>
        key === 'parent' || key === 'machine' ? undefined : value,
      ),
    ),
    mermaid: toMermaid(machine),
  }));
}

/** One machine by name; NotFoundError otherwise. */
export function machineInfo(name: string): MachineInfo {
  const info = machineInfos().find((m) => m.name === name);
  if (!info) throw new NotFoundError('machine', name);
  return info;
}

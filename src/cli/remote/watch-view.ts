/**
 * What `stator watch` draws: the run's steps with their states, a progress bar and the last
 * lines of output, redrawn in place on a terminal (at most ten times a second); one plain line
 * per event otherwise, as `stator run` prints them.
 * @module
 */
import type { StampedEvent } from '../../events.ts';
import { formatEvent } from '../run-file.ts';
import type { RunEvent } from './event-follow.ts';
import { formatDuration } from './table.ts';
import { runStatusAfter } from '../../run-status.ts';

/** A run as `GET /api/executions/:id` answers it (the fields drawn). */
export interface RunState {
  id: string;
  workflowId: string;
  status: string;
  startedAt: string | null;
  finishedAt: string | null;
  error: { message: string } | null;
  steps: Array<{
    id: string;
    status: string;
    attempts: number;
    startedAt: string | null;
    finishedAt: string | null;
    error: string | null;
  }>;
}

interface StepLine {
  status: string;
  attempt: number;
  startedAt?: number;
  finishedAt?: number;
  note?: string;
}

const TAIL_LINES = 8;
const BAR_WIDTH = 30;
const REDRAW_MS = 100;
const DONE = new Set(['succeeded', 'failed', 'skipped', 'cancelled', 'timed_out', 'interrupted']);
const MARK: Record<string, string> = {
  pending: '·',
  running: '▶',
  succeeded: '✓',
  failed: '✗',
  skipped: '-',
  cancelled: '✗',
  timed_out: '✗',
  interrupted: '!',
  retrying: '↻',
};

/** Draws a followed run. */
export class WatchView {
  private readonly steps = new Map<string, StepLine>();
  private readonly tail: string[] = [];
  private run: { id: string; workflowId: string; status: string } = {
    id: '',
    workflowId: '',
    status: 'pending',
  };
  private drawn = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly tty: boolean,
    private readonly write: (text: string) => void,
  ) {}

  /** Takes the stored state as the starting point (`order`: the definition's step order). */
  start(state: RunState, order?: readonly string[]): void {
    this.run = { id: state.id, workflowId: state.workflowId, status: state.status };
    for (const id of order ?? []) this.steps.set(id, { status: 'pending', attempt: 0 });
    for (const s of state.steps) {
      this.steps.set(s.id, {
        status: s.status,
        attempt: s.attempts,
        ...(s.startedAt && { startedAt: Date.parse(s.startedAt) }),
        ...(s.finishedAt && { finishedAt: Date.parse(s.finishedAt) }),
        ...(s.error && { note: s.error }),
      });
    }
    if (!this.tty) this.write(`watching ${state.id} (${state.workflowId}): ${state.status}\n`);
    this.schedule();
  }

  /** Applies one event. */
  apply(e: RunEvent): void {
    if (!this.tty) {
      const line = formatEvent(e as unknown as StampedEvent);
      if (line !== undefined) this.write(`${line}\n`);
      return;
    }
    const step =
      e.stepId === undefined
        ? undefined
        : (this.steps.get(e.stepId) ?? { status: 'pending', attempt: 0 });
    // The event's own time: a replayed event happened earlier than it arrives.
    const ts = typeof e.ts === 'string' ? Date.parse(e.ts) : NaN;
    const now = Number.isNaN(ts) ? Date.now() : ts;
    // A terminal line says a run is paused; its record says running (with `paused`).
    const status = e.type === 'execution.paused' ? 'running (paused)' : runStatusAfter(e.type);
    if (status !== undefined) this.run.status = status;
    if (step && e.stepId !== undefined) {
      switch (e.type) {
        case 'step.started':
          Object.assign(step, {
            status: 'running',
            attempt: e.attempt ?? step.attempt + 1,
            startedAt: now,
          });
          delete step.note;
          break;
        case 'step.stdout':
        case 'step.stderr':
          this.tail.push(`${e.stepId} | ${e.line ?? ''}`);
          if (this.tail.length > TAIL_LINES) this.tail.shift();
          break;
        case 'step.retrying':
          Object.assign(step, { status: 'retrying', note: String(e.error ?? '') });
          break;
        case 'step.completed':
          Object.assign(step, { status: 'succeeded', finishedAt: now });
          break;
        default:
          if (e.type.startsWith('step.') && DONE.has(e.type.slice(5))) {
            Object.assign(step, {
              status: e.type.slice(5),
              finishedAt: now,
              note: String(e.error ?? (e as { reason?: string }).reason ?? ''),
            });
          }
      }
      this.steps.set(e.stepId, step);
    }
    this.schedule();
  }

  /** Draws the final state; resolves the exit code (0: completed). */
  finish(state: RunState): number {
    if (this.tty) {
      clearTimeout(this.timer);
      this.start(state);
      this.run.status = state.status;
      this.draw();
    }
    const took =
      state.startedAt && state.finishedAt
        ? ` in ${formatDuration(Date.parse(state.finishedAt) - Date.parse(state.startedAt))}`
        : '';
    const why = state.error ? `: ${state.error.message}` : '';
    if (this.tty || state.status !== 'completed')
      this.write(`execution ${state.id} ${state.status.replace('_', ' ')}${took}${why}\n`);
    return state.status === 'completed' ? 0 : 1;
  }

  private schedule(): void {
    if (!this.tty || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, REDRAW_MS);
  }

  private draw(): void {
    const now = Date.now();
    const total = this.steps.size;
    const done = [...this.steps.values()].filter((s) => DONE.has(s.status)).length;
    const filled = total === 0 ? 0 : Math.round((done / total) * BAR_WIDTH);
    const lines = [
      `${this.run.workflowId} ${this.run.id}  ${this.run.status}`,
      `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${done}/${total} steps`,
      ...[...this.steps].map(([id, s]) => {
        const took =
          s.startedAt === undefined ? '' : formatDuration((s.finishedAt ?? now) - s.startedAt);
        const attempt = s.attempt > 1 ? ` (attempt ${s.attempt})` : '';
        const note = s.note ? `  ${s.note.slice(0, 80)}` : '';
        return `  ${MARK[s.status] ?? '?'} ${id.padEnd(20)} ${s.status.padEnd(11)} ${took}${attempt}${note}`;
      }),
      ...(this.tail.length > 0 ? ['', ...this.tail.map((l) => `  ${l.slice(0, 160)}`)] : []),
    ];
    // Back to the top of the previous block, clear it, draw anew.
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '';
    this.write(`${up}${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}

/** Formatting helpers: durations, relative times, status classes. */

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 59.5) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const whole = Math.round(s);
  const m = Math.floor(whole / 60);
  if (m < 60) return `${m} m ${whole % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} m`;
}

export function ms(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : t;
}

export function ago(iso: string | null | undefined, now = Date.now()): string {
  const t = ms(iso);
  if (t === null) return '–';
  const d = now - t;
  if (Math.abs(d) < 1000) return 'just now';
  return d >= 0 ? `${duration(d)} ago` : `in ${duration(-d)}`;
}

export function time(iso: string | null | undefined): string {
  const t = ms(iso);
  return t === null ? '–' : new Date(t).toLocaleTimeString();
}

/** The CSS class of a status word (`st-running`, `st-succeeded`...). */
export function statusClass(status: string | null | undefined): string {
  return `st st-${(status ?? 'unknown').replace(/[^a-z_]/gi, '')}`;
}

export const FINAL_EXECUTION = new Set([
  'completed',
  'failed',
  'cancelled',
  'timed_out',
  'blocked',
]);

export { runStatusAfter } from '../../run-status.ts';

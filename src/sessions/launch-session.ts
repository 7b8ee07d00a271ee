/**
 * How the launchers of a session's processes (a child of this process, child-launches.ts, or a
 * launch held by the process host, host-launches.ts) see the session: a narrow view of its
 * record, status, process, log ring and machine.
 * @module
 */
import type { SessionMachineEvent, SpawnResult } from '../../machines/session.machine.ts';
import type { SessionRecord } from '../store/index.ts';
import type { RunningProcess } from './session-process.ts';
import type { SessionSecrets } from './session-secrets.ts';
import type { SessionStatus } from './types.ts';

/** Statuses in which a session's stored launch may still be running. */
export const LAUNCH_HELD: readonly SessionStatus[] = ['starting', 'running', 'stopping'];

/** Where a session's launch in the process host stands (stored in the record). */
export type HostLaunch = NonNullable<SessionRecord['hostProcess']>;

/** What a launcher sees of its session. */
export interface LaunchSession {
  readonly id: string;
  readonly record: SessionRecord;
  readonly status: SessionStatus;
  readonly closed: boolean;
  /** The seq of the newest line in the log ring. */
  readonly lastSeq: number;
  /** The session's current process. */
  process: RunningProcess | null;
  /** Its secrets: resolved for each launch (again for a launch found again). */
  readonly secrets: Pick<SessionSecrets, 'forLaunch' | 'recall' | 'describe'>;
  /** Records where the host launch stands; `soon` lets the write wait a little. */
  setLaunch(launch: HostLaunch, when: 'now' | 'soon'): void;
  /** Resolves once every change so far is stored. */
  flush(): Promise<void>;
  /** An output line into the log ring (with its own `seq`, or the next), and unless old news, an event. */
  line(stream: 'stdout' | 'stderr', line: string, seq?: number, news?: boolean): void;
  /** Tests the latest output against the attention prompt. */
  isPrompt(latest: string): boolean;
  /** Hands an event to the session's machine. */
  report(event: SessionMachineEvent): void;
  /** The session's clock (ms). */
  now(): number;
}

/** Starts a session's processes (the machine's `spawnProcess`). */
export interface Launcher {
  /** Starts a process; with `resume`, takes back the stored launch (host only). */
  spawn(resume: boolean): Promise<SpawnResult>;
}

// The adapter interface every OS variant implements (adapter.linux.ts, adapter.win32.ts,
// adapter.darwin.ts), chosen once in the composition root and always wrapped by guard.ts, which
// enforces the never-touch list, so no caller can reach an unguarded adapter by accident.
//
// Contract for every variant:
// - Every operation names the target by ProcessIdentity (pid + startTime) and checks it right before
//   acting and again after; a mismatch is `refused/gone` and nothing is changed.
// - Nothing throws. Each OS error becomes a `refused` result with a reason and a message a person
//   understands (errors.ts). An operation this OS cannot do is `refused/unsupported` with why.
// - After acting, the value is read back: `applied` carries `before` and `after` as read from the OS;
//   a value that did not take effect is `refused/ineffective`.
// - Restoring is just applying the `before` value again (including cgroup values whose `cgroupPath`
//   says where the process came from; the adapter moves it back and removes groups it created).
import type { ProcessIdentity } from '../../src-shared/domain';
import type {
  ActionResult,
  Capabilities,
  Change,
  ReadableOperation,
  ReadResult,
  ValueOf,
} from '../../src-shared/actions';

export type {
  ActionResult,
  Capabilities,
  Change,
  ReadableOperation,
  ReadResult,
} from '../../src-shared/actions';

/**
 * How apply() treats a change Allot could not put back with the rights it has now (see
 * `irreversible` in src-shared/actions.ts). Default: refuse it. `allow` is for restores (putting an
 * original back) and for a person who confirmed.
 */
export interface ApplyOptions {
  irreversible?: 'refuse' | 'allow';
}

export interface PlatformAdapter {
  readonly platform: 'linux' | 'win32' | 'darwin' | 'other';
  /** What works here, with these privileges, and why not. Cheap after the first call. */
  capabilities(): Capabilities;
  /** Current value of one operation's setting (the "before" of a change). */
  read(target: ProcessIdentity, op: ReadableOperation): Promise<ReadResult>;
  /**
   * Apply one change: identity check, reversibility check (refused `irreversible` unless
   * options.irreversible is 'allow'), act, read back.
   */
  apply(target: ProcessIdentity, change: Change, options?: ApplyOptions): Promise<ActionResult>;

  // Named operations: thin, typed shorthands for apply().
  getPriority(target: ProcessIdentity): Promise<ReadResult>;
  setPriority(target: ProcessIdentity, value: ValueOf<'priority'>): Promise<ActionResult>;
  setAffinity(target: ProcessIdentity, value: ValueOf<'affinity'>): Promise<ActionResult>;
  setIoPriority(target: ProcessIdentity, value: ValueOf<'ioPriority'>): Promise<ActionResult>;
  setCpuWeight(target: ProcessIdentity, value: ValueOf<'cpuWeight'>): Promise<ActionResult>;
  setCpuCap(target: ProcessIdentity, value: ValueOf<'cpuCap'>): Promise<ActionResult>;
  setMemoryLimit(target: ProcessIdentity, value: ValueOf<'memoryLimit'>): Promise<ActionResult>;
  setEfficiencyMode(target: ProcessIdentity, value: ValueOf<'efficiencyMode'>): Promise<ActionResult>;
  suspend(target: ProcessIdentity): Promise<ActionResult>;
  resume(target: ProcessIdentity): Promise<ActionResult>;
  /** Graceful request (SIGTERM / WM_CLOSE), wait up to graceMs, then forced (SIGKILL / TerminateProcess). */
  terminate(target: ProcessIdentity, graceMs: number): Promise<ActionResult>;

  /** Facts the never-touch guard needs about one process; null when it is gone. */
  describe(target: ProcessIdentity): Promise<ProcessFacts | null>;
  /**
   * Remove what Allot created that no longer holds a process (Linux: empty allot-* cgroups left by
   * processes that exited; Windows: job objects). Returns what was removed. Never throws.
   */
  cleanup(): Promise<string[]>;
}

/** What the guard checks. Each OS fills what it knows; absent means unknown (treated as not matching). */
export interface ProcessFacts {
  pid: number;
  ppid: number;
  startTime: number;
  /** Short process name (comm / image name). */
  name: string;
  /** Full executable path when readable. */
  exe?: string;
  kernelThread?: boolean;
  /** Scheduling policy: 'fifo' / 'rr' / 'deadline' are real-time. */
  schedPolicy?: string;
  oomScoreAdj?: number;
  /** Ancestor pids, nearest first (to recognise Allot's own descendants). */
  ancestors?: number[];
}

/** Builds the named shorthands from read()/apply(); variants spread this into their object. */
export function namedOperations(
  core: Pick<PlatformAdapter, 'read' | 'apply'>,
): Omit<PlatformAdapter, 'platform' | 'capabilities' | 'read' | 'apply' | 'describe' | 'cleanup'> {
  return {
    getPriority: (t) => core.read(t, 'priority'),
    setPriority: (t, value) => core.apply(t, { op: 'priority', value }),
    setAffinity: (t, value) => core.apply(t, { op: 'affinity', value }),
    setIoPriority: (t, value) => core.apply(t, { op: 'ioPriority', value }),
    setCpuWeight: (t, value) => core.apply(t, { op: 'cpuWeight', value }),
    setCpuCap: (t, value) => core.apply(t, { op: 'cpuCap', value }),
    setMemoryLimit: (t, value) => core.apply(t, { op: 'memoryLimit', value }),
    setEfficiencyMode: (t, value) => core.apply(t, { op: 'efficiencyMode', value }),
    suspend: (t) => core.apply(t, { op: 'suspend', value: { suspended: true } }),
    resume: (t) => core.apply(t, { op: 'suspend', value: { suspended: false } }),
    terminate: (t, graceMs) => core.apply(t, { op: 'terminate', value: { graceMs } }),
  };
}

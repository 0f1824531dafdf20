// macOS adapter. OS APIs (through the DarwinActuationApi in bindings.darwin.ts): getpriority /
// setpriority(PRIO_PROCESS) for nice, setpriority(PRIO_DARWIN_PROCESS, pid, PRIO_DARWIN_BG) for
// efficiency mode (what `taskpolicy -b` does), kill(2) for suspend/resume (SIGSTOP/SIGCONT) and
// terminate (SIGTERM, then SIGKILL), proc_pidinfo(PROC_PIDTBSDINFO) for identity, state and facts.
//
// Decisions:
// - Identity is the start time in µs (pbi_start_tvsec * 1e6 + pbi_start_tvusec), exactly as the macOS
//   sampler computes startTime. macOS has no pidfd: the identity is re-read immediately before every
//   call that names the pid (setpriority, kill), so a tiny race remains between that check and the
//   call; capabilities say so.
// - Efficiency mode is the Darwin background policy: lowest CPU scheduling band, throttled disk and
//   network I/O, and on Apple Silicon the efficiency cores. It covers I/O priority too: there is no
//   separate per-process I/O priority for other processes (setiopolicy_np only acts on the caller).
// - Affinity, I/O priority classes, CPU weights, CPU caps and memory limits are `unsupported`, with
//   the reason: macOS has no affinity API (only advisory affinity tags for one's own threads) and no
//   per-process cgroups or other enforceable CPU/memory limits for another process.
import type { ProcessIdentity } from '../../src-shared/domain';
import type { ActionResult, Capabilities, Capability, Change, Operation, Reading, ReadableOperation, ReadResult, Refusal } from '../../src-shared/actions';
import { namedOperations, type ApplyOptions, type PlatformAdapter, type ProcessFacts } from './types';
import { errnoName, GONE_MESSAGE, refused, refusalFromCode } from './errors';
import { matches } from '../../src-shared/action-values';
import { guardAdapter, type GuardedAdapter } from './guard';
import type { ProtectionPolicy } from './protect';
import {
  DARWIN_SIGNAL,
  DARWIN_STATUS,
  PRIO_DARWIN_BG,
  PRIO_DARWIN_PROCESS,
  PRIO_PROCESS,
  type DarwinActuationApi,
  type DarwinBsdFacts,
} from './bindings.darwin';

const ESRCH = 3;

/** Why each operation macOS cannot do is unsupported. */
export const DARWIN_UNSUPPORTED: Partial<Record<Operation, string>> = {
  affinity: 'macOS has no CPU affinity API (thread affinity tags are advisory and only for a program\'s own threads)',
  ioPriority: 'macOS cannot set another process\'s I/O priority (setiopolicy_np acts on the caller only); efficiency mode (background policy) throttles its I/O',
  cpuWeight: 'macOS has no per-process cgroups or CPU weights; use priority (nice) instead',
  cpuCap: 'macOS has no per-process cgroups or CPU caps; use priority or efficiency mode instead',
  memoryLimit: 'macOS has no per-process cgroups or memory limits it enforces on another process',
  sessionPriority: 'macOS does not share CPU by session (no Linux autogroups); priority (nice) and efficiency mode are the levers',
};

/** The identity start value, computed exactly as the macOS sampler does (µs since the epoch). */
export function darwinStartTime(facts: Pick<DarwinBsdFacts, 'startTvSec' | 'startTvUsec'>): number {
  return facts.startTvSec * 1_000_000 + facts.startTvUsec;
}

function unsupported(op: Operation): Refusal {
  return refused('unsupported', DARWIN_UNSUPPORTED[op] ?? `macOS cannot ${op}`);
}

function errnoRefusal(errno: number, op: Operation, raising = false): Refusal {
  return refusalFromCode(errnoName(errno), op, raising, undefined, 'darwin');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface DarwinAdapterOptions {
  pollMs?: number;
}

/** UNGUARDED: only for tests and for wrapping in guardAdapter. */
export function unguardedDarwinAdapter(api: DarwinActuationApi, options: DarwinAdapterOptions = {}): PlatformAdapter {
  const pollMs = options.pollMs ?? 20;

  /** Current facts when pid still names the identified, not yet reaped-or-zombie process. */
  function check(target: ProcessIdentity, op: Operation): DarwinBsdFacts | Refusal {
    const info = api.bsdInfo(target.pid);
    if (!info.ok) return info.errno === ESRCH ? refused('gone', GONE_MESSAGE, { code: 'ESRCH' }) : errnoRefusal(info.errno, op);
    if (darwinStartTime(info.value) !== target.startTime || info.value.status === DARWIN_STATUS.SZOMB) return refused('gone', GONE_MESSAGE);
    return info.value;
  }

  function isGone(target: ProcessIdentity): boolean {
    const info = api.bsdInfo(target.pid);
    if (!info.ok) return info.errno === ESRCH;
    return darwinStartTime(info.value) !== target.startTime || info.value.status === DARWIN_STATUS.SZOMB;
  }

  function readOp(target: ProcessIdentity, op: ReadableOperation): Reading | Refusal {
    const facts = check(target, op);
    if ('kind' in facts) return facts;
    switch (op) {
      case 'priority': {
        const nice = api.getpriority(PRIO_PROCESS, target.pid);
        return nice.ok ? { op, value: { nice: nice.value } } : errnoRefusal(nice.errno, op);
      }
      case 'efficiencyMode': {
        const bg = api.getpriority(PRIO_DARWIN_PROCESS, target.pid);
        return bg.ok ? { op, value: { enabled: bg.value !== 0 } } : errnoRefusal(bg.errno, op);
      }
      case 'suspend':
        return { op, value: { suspended: facts.status === DARWIN_STATUS.SSTOP } };
      default:
        return unsupported(op);
    }
  }

  async function waitUntil(cond: () => boolean, waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      if (cond()) return true;
      if (Date.now() >= deadline) return false;
      await sleep(pollMs);
    }
  }

  /** Re-check identity immediately before sending; the race left is the time between the two calls. */
  function signal(target: ProcessIdentity, sig: number, op: Operation): Refusal | null {
    const facts = check(target, op);
    if ('kind' in facts) return facts;
    const r = api.kill(target.pid, sig);
    return r.ok ? null : errnoRefusal(r.errno, op);
  }

  async function terminate(target: ProcessIdentity, graceMs: number): Promise<ActionResult> {
    const term = signal(target, DARWIN_SIGNAL.SIGTERM, 'terminate');
    if (term) return term;
    if (await waitUntil(() => isGone(target), graceMs)) return { kind: 'applied', note: 'ended after the graceful request (SIGTERM)' };
    const kill = signal(target, DARWIN_SIGNAL.SIGKILL, 'terminate');
    if (kill) return kill.reason === 'gone' ? { kind: 'applied', note: 'ended after the graceful request (SIGTERM)' } : kill;
    if (await waitUntil(() => isGone(target), 5000)) return { kind: 'applied', note: `did not end within ${graceMs} ms of SIGTERM; forced with SIGKILL` };
    return refused('ineffective', 'still running 5 s after SIGKILL');
  }

  async function apply(target: ProcessIdentity, change: Change, options: ApplyOptions = {}): Promise<ActionResult> {
    if (DARWIN_UNSUPPORTED[change.op]) return unsupported(change.op);
    if (change.op === 'terminate') return terminate(target, change.value.graceMs);
    const before = readOp(target, change.op);
    if ('kind' in before) return before;
    // Like Linux, macOS lets a non-root user raise a nice value but never lower it again.
    if (options.irreversible !== 'allow' && change.op === 'priority' && before.op === 'priority' && change.value.nice > before.value.nice && process.geteuid?.() !== 0) {
      return refused('irreversible', `Allot cannot raise it back without administrator rights: putting nice ${before.value.nice} back needs root`, { before });
    }
    if (change.op === 'suspend') {
      const failure = signal(target, change.value.suspended ? DARWIN_SIGNAL.SIGSTOP : DARWIN_SIGNAL.SIGCONT, 'suspend');
      if (failure) return { ...failure, before };
      const wanted = change.value.suspended;
      await waitUntil(() => {
        const now = api.bsdInfo(target.pid);
        return !now.ok || (now.value.status === DARWIN_STATUS.SSTOP) === wanted;
      }, 1000);
    } else {
      // Identity re-checked immediately before the pid-addressed call.
      const facts = check(target, change.op);
      if ('kind' in facts) return { ...facts, before };
      const r =
        change.op === 'priority'
          ? api.setpriority(PRIO_PROCESS, target.pid, change.value.nice)
          : change.op === 'efficiencyMode'
            ? api.setpriority(PRIO_DARWIN_PROCESS, target.pid, change.value.enabled ? PRIO_DARWIN_BG : 0)
            : null;
      if (r === null) return unsupported(change.op);
      if (!r.ok) {
        const raising = change.op === 'priority' ? before.op === 'priority' && change.value.nice < before.value.nice : change.op === 'efficiencyMode' && !change.value.enabled;
        return { ...errnoRefusal(r.errno, change.op, raising), before };
      }
    }
    if (isGone(target)) return refused('gone', 'the process exited while the change was made', { before });
    const after = readOp(target, change.op);
    if ('kind' in after) return { ...after, before };
    if (!matches(change, after)) return refused('ineffective', `the system accepted the change but reads back ${JSON.stringify(after.value)}`, { before });
    return { kind: 'applied', before, after };
  }

  async function describe(target: ProcessIdentity): Promise<ProcessFacts | null> {
    const info = api.bsdInfo(target.pid);
    if (!info.ok) {
      if (info.errno === ESRCH) return null;
      throw new Error(`proc_pidinfo(${target.pid}) failed: ${errnoName(info.errno)}`);
    }
    if (darwinStartTime(info.value) !== target.startTime) return null;
    const ancestors: number[] = [];
    let ppid = info.value.ppid;
    for (let depth = 0; ppid > 0 && depth < 128; depth++) {
      ancestors.push(ppid);
      const parent = api.bsdInfo(ppid);
      if (!parent.ok) break;
      ppid = parent.value.ppid;
    }
    const exe = api.pidPath(target.pid);
    return {
      pid: info.value.pid,
      ppid: info.value.ppid,
      startTime: darwinStartTime(info.value),
      name: info.value.pid === 0 ? 'kernel_task' : info.value.name,
      ...(exe ? { exe } : {}),
      kernelThread: info.value.pid === 0,
      ancestors,
    };
  }

  let caps: Capabilities | undefined;
  const core = {
    read: async (target: ProcessIdentity, op: ReadableOperation): Promise<ReadResult> => {
      const value = readOp(target, op);
      return 'kind' in value ? value : { kind: 'value' as const, value };
    },
    apply,
  };
  return {
    platform: 'darwin',
    capabilities: () => (caps ??= darwinCapabilities(api.isRoot())),
    ...core,
    ...namedOperations(core),
    describe,
    cleanup: async () => [],
  };
}

function capability(supported: boolean, detail: string, limits: string[] = []): Capability {
  return limits.length > 0 ? { supported, detail, limits } : { supported, detail };
}

export function darwinCapabilities(root: boolean): Capabilities {
  const others = root ? [] : ["other users' processes need root (sudo)"];
  const race = 'macOS has no pidfd: the identity is re-checked immediately before the signal, so a tiny pid-reuse race remains';
  const operations: Record<Operation, Capability> = {
    priority: capability(true, 'setpriority(PRIO_PROCESS)', [...(root ? [] : ['raising priority (lowering nice) needs root']), ...others]),
    sessionPriority: capability(false, DARWIN_UNSUPPORTED.sessionPriority ?? ''),
    affinity: capability(false, DARWIN_UNSUPPORTED.affinity ?? ''),
    ioPriority: capability(false, DARWIN_UNSUPPORTED.ioPriority ?? ''),
    cpuWeight: capability(false, DARWIN_UNSUPPORTED.cpuWeight ?? ''),
    cpuCap: capability(false, DARWIN_UNSUPPORTED.cpuCap ?? ''),
    memoryLimit: capability(false, DARWIN_UNSUPPORTED.memoryLimit ?? ''),
    efficiencyMode: capability(true, 'background policy: setpriority(PRIO_DARWIN_PROCESS, PRIO_DARWIN_BG), which also throttles its disk and network I/O', others),
    suspend: capability(true, 'SIGSTOP / SIGCONT through kill(2)', [race, ...others]),
    terminate: capability(true, 'SIGTERM, then SIGKILL after the grace period, through kill(2)', [race, ...others]),
  };
  return {
    platform: 'darwin',
    privileged: root,
    operations,
    notes: [race, 'no CPU affinity and no per-process cgroups on macOS: affinity, I/O classes, CPU weights and caps and memory limits are unsupported'],
  };
}

/** The macOS adapter, wrapped in the never-touch guard. */
export function createDarwinAdapter(api: DarwinActuationApi, policy: ProtectionPolicy, options: DarwinAdapterOptions = {}): GuardedAdapter {
  return guardAdapter(unguardedDarwinAdapter(api, options), policy);
}

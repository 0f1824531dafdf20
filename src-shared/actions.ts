// Changes Allot can make to a process, the typed result of making one, the journal record that lets it
// be undone, and the audit-log entry. Shared by main (adapters, actuator, store) and the renderer
// (Changes view, override dialog). Pure: zod schemas first, types inferred from them.
import { z } from 'zod';
import { IoClassSchema, LIMITS, ProcessIdentitySchema } from './domain';

const int = () => z.number().int();
const str = (max: number = LIMITS.maxStringLength) => z.string().max(max);

/** Every operation an adapter knows. `suspend` covers suspend and resume (value `suspended`). */
export const OperationSchema = z.enum([
  'priority',
  'sessionPriority',
  'affinity',
  'ioPriority',
  'cpuWeight',
  'cpuCap',
  'memoryLimit',
  'efficiencyMode',
  'suspend',
  'terminate',
]);
export type Operation = z.infer<typeof OperationSchema>;

/**
 * Nice value (-20 highest .. 19 lowest). `autogroupNice` is present only when the kernel groups
 * processes by session (sched_autogroup_enabled=1) and the adapter also changed the session's
 * autogroup because the target was alone in it; see adapter.linux.ts.
 */
/** Most per-thread values a reading keeps (threads beyond it are restored to the process's value). */
export const MAX_THREAD_VALUES = 8192;
export const PriorityValueSchema = z.strictObject({
  /** The process's nice (its main thread's). */
  nice: int().min(-20).max(19),
  autogroupNice: int().min(-20).max(19).optional(),
  /**
   * Threads whose nice differs from `nice`, as [tid, nice] (Linux nice is per thread; programs such
   * as browsers and audio servers rank their own threads). In a reading: what to put back. In a
   * change without it, every thread moves by the same step as the main thread, so their ranking
   * stays.
   */
  threadNice: z
    .array(z.tuple([int().positive(), int().min(-20).max(19)]))
    .max(MAX_THREAD_VALUES)
    .optional(),
});
/**
 * The nice of the process's whole session (Linux autogroup: with sched_autogroup_enabled=1 the
 * scheduler first shares CPU between sessions, weighted by this value, and only then between the
 * processes of one session). Lowering it lowers everything the session runs, including processes it
 * starts afterwards: a build started from a terminal is one session. Read and written through
 * /proc/PID/autogroup of a process in the session; `autogroupId` (in a reading) names the session.
 */
export const SessionPriorityValueSchema = z.strictObject({
  nice: int().min(-20).max(19),
  autogroupId: int().nonnegative().optional(),
});
const cpuList = () => z.array(int().nonnegative().max(LIMITS.maxCores - 1)).min(1).max(LIMITS.maxCores);
export const AffinityValueSchema = z.strictObject({
  /** Logical CPU numbers the process may run on; never empty. */
  cpus: cpuList(),
  /** In a reading: threads pinned apart from the main thread, as [tid, cpus]; a restore puts each back. */
  threadCpus: z.array(z.tuple([int().positive(), cpuList()])).max(MAX_THREAD_VALUES).optional(),
});
export const IoPriorityValueSchema = z.strictObject({
  ioClass: IoClassSchema,
  /** 0 (highest) .. 7 (lowest); meaningful for realtime and best-effort. */
  level: int().min(0).max(7),
  /** In a reading: threads with their own I/O priority, as [tid, class, level]; a restore puts each back. */
  threadIo: z.array(z.tuple([int().positive(), IoClassSchema, int().min(0).max(7)])).max(MAX_THREAD_VALUES).optional(),
});
/** Where the process sat in a cgroup hierarchy when the value was read (restore moves it back). */
const cgroupPath = () => str().optional();
export const CpuWeightValueSchema = z.strictObject({
  /** cgroup v2 scale: 1..10000, 100 = default share. null = no weight set by Allot (inherits its cgroup's). */
  weight: int().min(1).max(10_000).nullable(),
  cgroupPath: cgroupPath(),
});
export const CpuCapValueSchema = z.strictObject({
  /** CPU time cap as percent of ONE core (100 = one full core, 150 = one and a half). null = no cap. */
  percentOfOneCore: z.number().finite().min(1).max(100 * LIMITS.maxCores).nullable(),
  cgroupPath: cgroupPath(),
});
export const MemoryLimitValueSchema = z.strictObject({
  /** Soft limit (reclaimed first under pressure, never killed for it). null = none. */
  softLimitBytes: int().min(4096).nullable(),
  cgroupPath: cgroupPath(),
});
export const EfficiencyModeValueSchema = z.strictObject({ enabled: z.boolean() });
export const SuspendValueSchema = z.strictObject({ suspended: z.boolean() });
export const TerminateValueSchema = z.strictObject({
  /** How long to wait after the graceful request before forcing, ms. */
  graceMs: int().min(0).max(60_000),
});

/** A change: which operation, with which target value. */
export const ChangeSchema = z.discriminatedUnion('op', [
  z.strictObject({ op: z.literal('priority'), value: PriorityValueSchema }),
  z.strictObject({ op: z.literal('sessionPriority'), value: SessionPriorityValueSchema }),
  z.strictObject({ op: z.literal('affinity'), value: AffinityValueSchema }),
  z.strictObject({ op: z.literal('ioPriority'), value: IoPriorityValueSchema }),
  z.strictObject({ op: z.literal('cpuWeight'), value: CpuWeightValueSchema }),
  z.strictObject({ op: z.literal('cpuCap'), value: CpuCapValueSchema }),
  z.strictObject({ op: z.literal('memoryLimit'), value: MemoryLimitValueSchema }),
  z.strictObject({ op: z.literal('efficiencyMode'), value: EfficiencyModeValueSchema }),
  z.strictObject({ op: z.literal('suspend'), value: SuspendValueSchema }),
  z.strictObject({ op: z.literal('terminate'), value: TerminateValueSchema }),
]);
export type Change = z.infer<typeof ChangeSchema>;
export type ChangeOf<O extends Operation> = Extract<Change, { op: O }>;
export type ValueOf<O extends Operation> = ChangeOf<O>['value'];

/** The state of a process for one operation, as read from the OS (terminate has none). */
export type Reading = Exclude<Change, { op: 'terminate' }>;
export type ReadableOperation = Reading['op'];

export const RefusalReasonSchema = z.enum([
  /** On the never-touch list (PID 1, kernel thread, Allot itself, session-critical, RT, user exclusion). */
  'protected',
  /** The process exited, or its pid now belongs to another process. Nothing was changed. */
  'gone',
  /** The OS denied it (EPERM/EACCES/ACCESS_DENIED). */
  'permission',
  /** The request itself is wrong (bad value, CPU not online, ...). Nothing was changed. */
  'invalid',
  /** This OS, kernel or privilege level cannot do it at all. */
  'unsupported',
  /** The OS said yes, but reading the value back shows it did not take effect. */
  'ineffective',
  /** Someone else manages this value of this process; Allot backs off. */
  'external',
  /** Anything else the OS reported. */
  'failed',
  /**
   * Allot could not put the original value back with the rights it has now (an ordinary Linux user
   * may raise a nice value but not lower it again). Nothing was changed; a person may confirm and go
   * ahead (ApplyInput.confirmIrreversible), the engine never does.
   */
  'irreversible',
]);
export type RefusalReason = z.infer<typeof RefusalReasonSchema>;

export const ActionResultSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('applied'),
    /** Value before (absent for terminate). */
    before: ChangeSchema.optional(),
    /** Value read back after acting (absent for terminate). */
    after: ChangeSchema.optional(),
    /** Extra note for a person, e.g. "nice only ranks inside its session (autogroup)". */
    note: str(1024).optional(),
  }),
  z.strictObject({
    kind: z.literal('refused'),
    reason: RefusalReasonSchema,
    /** What a person reads, e.g. "needs administrator rights to raise priority". */
    message: str(1024),
    /** For reason 'protected': the rule that matched, e.g. "pid-1", "name:systemd*". */
    rule: str(256).optional(),
    /** OS error code when there was one (EPERM, ESRCH, ERROR_ACCESS_DENIED, ...). */
    code: str(64).optional(),
    before: ChangeSchema.optional(),
  }),
]);
export type ActionResult = z.infer<typeof ActionResultSchema>;
export type Refusal = Extract<ActionResult, { kind: 'refused' }>;

export const ReadResultSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('value'), value: ChangeSchema }),
  ActionResultSchema.options[1],
]);
export type ReadResult = { kind: 'value'; value: Reading } | Refusal;

/** Who asked: the engine, a person in the UI, an agent token, or the CLI. */
export const ActorSchema = z.union([
  /** user: the window; tray: the tray menu; cli: the `allot` command; agent:NAME: a token of `allot serve`. */
  z.enum(['user', 'tray', 'engine', 'cli', 'system']),
  z.string().regex(/^agent:[\w .@-]{1,64}$/),
]);
export type Actor = z.infer<typeof ActorSchema>;

export const ChangeStatusSchema = z.enum([
  /** Journaled, the OS call not yet confirmed (a crash here still restores). */
  'pending',
  /** In force: Allot's value is on the process. */
  'applied',
  /** Put back (undo, engine off, exit, restore after crash). */
  'restored',
  /** Replaced by a later change of the same operation on the same process (which carries the original). */
  'superseded',
  /** The process went away; nothing to restore. */
  'gone',
  /** Someone else changed the value; Allot let it be. */
  'external',
  /** The act was refused; nothing in force. */
  'failed',
  /** Restore was attempted and refused; needs attention. */
  'restore-failed',
]);
export type ChangeStatus = z.infer<typeof ChangeStatusSchema>;

/** One journaled change (what the Changes view lists). */
export const ChangeRecordSchema = z.strictObject({
  id: int().positive(),
  target: ProcessIdentitySchema,
  name: str(LIMITS.maxNameLength),
  actor: ActorSchema,
  change: ChangeSchema,
  /** Original value, written durably before acting. */
  before: ChangeSchema.nullable(),
  /** Value read back after acting. */
  after: ChangeSchema.nullable(),
  status: ChangeStatusSchema,
  why: str(1024),
  createdAtMs: z.number().nonnegative(),
  updatedAtMs: z.number().nonnegative(),
  note: str(1024).nullable(),
});
export type ChangeRecord = z.infer<typeof ChangeRecordSchema>;

/** What the audit log stores for every action attempt, automatic or manual. */
export const AuditEntrySchema = z.strictObject({
  id: int().positive(),
  at: z.number().nonnegative(),
  actor: ActorSchema,
  /** 'apply', 'undo', 'restore', 'external', ... */
  action: str(64),
  op: OperationSchema.nullable(),
  target: ProcessIdentitySchema.nullable(),
  name: str(LIMITS.maxNameLength).nullable(),
  before: ChangeSchema.nullable(),
  after: ChangeSchema.nullable(),
  /** For actions on Allot itself (settings, rules, mode, pause, profile): the value before and after, as a person reads it. */
  beforeValue: str(4096).nullable().optional(),
  afterValue: str(4096).nullable().optional(),
  why: str(1024),
  result: z.enum(['applied', 'refused', 'info']),
  reason: RefusalReasonSchema.nullable(),
  message: str(1024).nullable(),
  changeId: int().positive().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

export const AuditQuerySchema = z.strictObject({
  limit: int().min(1).max(1000).default(100),
  /** Entries with id < beforeId (keyset paging, newest first). */
  beforeId: int().positive().optional(),
  actor: ActorSchema.optional(),
  pid: int().positive().optional(),
  op: OperationSchema.optional(),
  result: z.enum(['applied', 'refused', 'info']).optional(),
  sinceMs: z.number().nonnegative().optional(),
  untilMs: z.number().nonnegative().optional(),
});
export type AuditQuery = z.input<typeof AuditQuerySchema>;

export const AuditPageSchema = z.strictObject({
  entries: z.array(AuditEntrySchema).max(1000),
  /** Pass as beforeId to get the next (older) page; null when this is the last page. */
  nextBeforeId: int().positive().nullable(),
});
export type AuditPage = z.infer<typeof AuditPageSchema>;

/** One operation's availability on this machine, with the reason when partial or absent. */
export const CapabilitySchema = z.strictObject({
  supported: z.boolean(),
  /** e.g. "raising priority needs root or CAP_SYS_NICE" or "cgroup v1 cpu controller at /sys/fs/cgroup/cpu". */
  detail: str(1024),
  /** Lowering works but raising does not, and similar partial support. */
  limits: z.array(str(1024)).max(16).optional(),
  /**
   * Whether Allot can put a change of this lever back with the rights it has now: `reversible`
   * (the engine may use it), `needs-helper` (only a person, through the privileged helper, can undo
   * it: the engine does not use it and a person is asked first), `unavailable` (cannot be done here).
   */
  reversibility: z.enum(['reversible', 'needs-helper', 'unavailable']).optional(),
  /** Why, in a person's words (e.g. "RLIMIT_NICE is 0: an ordinary user cannot lower a nice value again"). */
  reversibilityDetail: str(1024).optional(),
  /** What running Allot as the system service (root) would add for this lever. */
  withService: str(1024).optional(),
});
export type Capability = z.infer<typeof CapabilitySchema>;
export const CapabilitiesSchema = z.strictObject({
  platform: z.enum(['linux', 'win32', 'darwin', 'other']),
  privileged: z.boolean(),
  operations: z.record(OperationSchema, CapabilitySchema),
  notes: z.array(str(1024)).max(32),
  /**
   * What the engine may do on its own with these rights: it uses only reversible levers; with none it
   * only advises. A sentence for the Engine view and the capability report.
   */
  engineScope: str(1024).optional(),
});
export type Capabilities = z.infer<typeof CapabilitiesSchema>;

/** Changes the engine may not make on its own (DESIGN "Safety"): raising priority, realtime I/O, caps, suspend, end. They need a rule or a person. */
export function needsRuleOrUser(change: Change, before?: Change | null): boolean {
  switch (change.op) {
    case 'priority':
      return before?.op === 'priority' ? change.value.nice < before.value.nice : change.value.nice < 0;
    case 'ioPriority':
      return change.value.ioClass === 'realtime';
    case 'suspend':
    case 'terminate':
    case 'cpuCap':
    case 'memoryLimit':
      return true;
    default:
      return false;
  }
}

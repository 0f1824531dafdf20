// Domain types shared by every layer. Pure: no electron, no node:*, no DOM.
// Every type is a zod schema first; the TypeScript type is inferred from it, so what crosses
// IPC or the WebSocket is checked against exactly what the code compiles against.
import { z } from 'zod';

/** Upper bounds that keep a hostile or broken peer from making us allocate without limit. */
export const LIMITS = {
  maxProcesses: 100_000,
  maxCores: 4096,
  maxStringLength: 16_384,
  maxNameLength: 1024,
  maxDevices: 1024,
} as const;

const str = (max: number = LIMITS.maxStringLength) => z.string().max(max);
const nonNeg = () => z.number().finite().nonnegative();
const int = () => z.number().int();

export const PlatformSchema = z.enum(['linux', 'win32', 'darwin', 'other']);
export type Platform = z.infer<typeof PlatformSchema>;

/** Linux scheduling policies (and the closest names elsewhere). */
export const SchedPolicySchema = z.enum(['other', 'fifo', 'rr', 'batch', 'iso', 'idle', 'deadline']);
export type SchedPolicy = z.infer<typeof SchedPolicySchema>;

export const IoClassSchema = z.enum(['none', 'realtime', 'best-effort', 'idle']);
export type IoClass = z.infer<typeof IoClassSchema>;

/** Single-letter Linux states, mapped to words other OSes can also produce. */
export const ProcessStateSchema = z.enum([
  'running',
  'sleeping',
  'disk-sleep',
  'stopped',
  'tracing-stop',
  'zombie',
  'dead',
  'idle',
  'unknown',
]);
export type ProcessState = z.infer<typeof ProcessStateSchema>;

/**
 * Identity of one process: pid plus an OS-specific start value that never repeats for a reused pid
 * (Linux: starttime in clock ticks since boot; Windows: creation FILETIME; macOS: start time in µs).
 */
export const ProcessIdentitySchema = z.strictObject({
  pid: int().positive(),
  startTime: nonNeg(),
});
export type ProcessIdentity = z.infer<typeof ProcessIdentitySchema>;

/**
 * One process in one sample. Fields below `rssBytes` are optional: a collector that cannot read a
 * value (no privilege, not supported on this OS) leaves it out and names it in `unavailable`,
 * so "absent" never looks like zero.
 */
export const ProcessSampleSchema = z.strictObject({
  pid: int().positive(),
  ppid: int().nonnegative(),
  startTime: nonNeg(),
  /** Wall-clock start, epoch milliseconds (for display; identity uses startTime). */
  startedAtMs: nonNeg(),
  name: str(LIMITS.maxNameLength),
  cmdline: str(),
  exe: str().optional(),
  user: str(LIMITS.maxNameLength),
  uid: int().nonnegative().optional(),
  state: ProcessStateSchema,
  threads: int().nonnegative(),
  nice: int().min(-20).max(19),
  priority: int().optional(),
  /** user+system CPU over the last interval; 100 = one full core. */
  cpuPercent: nonNeg(),
  rssBytes: nonNeg(),
  kernelThread: z.boolean().optional(),
  // --- in-depth metrics (optional; see `unavailable`) ---
  cpuUserPercent: nonNeg().optional(),
  cpuSystemPercent: nonNeg().optional(),
  /** Cumulative CPU time, ms (user+system). */
  cpuTimeMs: nonNeg().optional(),
  /**
   * CPU of its children that exited and were waited for, over the last interval (100 = one core;
   * Linux cutime + cstime). A build's shell shows here what its short-lived compilers used.
   */
  childrenCpuPercent: nonNeg().optional(),
  vmsBytes: nonNeg().optional(),
  swapBytes: nonNeg().optional(),
  minorFaultsPerSec: nonNeg().optional(),
  majorFaultsPerSec: nonNeg().optional(),
  readBytesPerSec: nonNeg().optional(),
  writeBytesPerSec: nonNeg().optional(),
  readSyscallsPerSec: nonNeg().optional(),
  writeSyscallsPerSec: nonNeg().optional(),
  voluntaryCtxSwitchesPerSec: nonNeg().optional(),
  involuntaryCtxSwitchesPerSec: nonNeg().optional(),
  /** All context switches (where the OS does not split voluntary/involuntary: Windows, macOS). */
  ctxSwitchesPerSec: nonNeg().optional(),
  /** All system calls (macOS: Mach + BSD), where the OS counts them. */
  syscallsPerSec: nonNeg().optional(),
  /** Private (committed, not shared) memory: Windows private bytes, macOS physical footprint. */
  privateBytes: nonNeg().optional(),
  /** Open handles (Windows) or file descriptors, where cheap to read. */
  handleCount: int().nonnegative().optional(),
  /** Time spent runnable but waiting for a CPU, ms per second of wall time (schedstat). */
  runQueueWaitMsPerSec: nonNeg().optional(),
  schedPolicy: SchedPolicySchema.optional(),
  rtPriority: int().nonnegative().optional(),
  affinity: z.array(int().nonnegative()).max(LIMITS.maxCores).optional(),
  ioClass: IoClassSchema.optional(),
  ioLevel: int().min(0).max(7).optional(),
  cgroup: str().optional(),
  autogroup: int().nonnegative().optional(),
  autogroupNice: int().min(-20).max(19).optional(),
  oomScoreAdj: int().min(-1000).max(1000).optional(),
  /** Program identity (see programs.ts); filled by the processing step. */
  programId: str(LIMITS.maxNameLength).optional(),
  /** Names of fields this collector could not read for this process, with the reason class. */
  unavailable: z.array(str(64)).max(64).optional(),
});
export type ProcessSample = z.infer<typeof ProcessSampleSchema>;

export const PsiSchema = z.strictObject({
  /** % of time some task stalled, averaged over 10 s / 60 s / 300 s. */
  someAvg10: nonNeg(),
  someAvg60: nonNeg(),
  someAvg300: nonNeg(),
  fullAvg10: nonNeg().optional(),
  fullAvg60: nonNeg().optional(),
  fullAvg300: nonNeg().optional(),
  /** Cumulative stall time, µs. */
  someTotalUs: nonNeg(),
  fullTotalUs: nonNeg().optional(),
});
export type Psi = z.infer<typeof PsiSchema>;

export const CoreSampleSchema = z.strictObject({
  core: int().nonnegative(),
  cpuPercent: nonNeg(),
  userPercent: nonNeg().optional(),
  systemPercent: nonNeg().optional(),
  iowaitPercent: nonNeg().optional(),
  frequencyMhz: nonNeg().optional(),
});
export type CoreSample = z.infer<typeof CoreSampleSchema>;

export const MemorySchema = z.strictObject({
  totalBytes: nonNeg(),
  availableBytes: nonNeg(),
  usedBytes: nonNeg(),
  freeBytes: nonNeg().optional(),
  buffersBytes: nonNeg().optional(),
  cachedBytes: nonNeg().optional(),
  sharedBytes: nonNeg().optional(),
  dirtyBytes: nonNeg().optional(),
  swapTotalBytes: nonNeg(),
  swapUsedBytes: nonNeg(),
  swapInBytesPerSec: nonNeg().optional(),
  swapOutBytesPerSec: nonNeg().optional(),
});
export type Memory = z.infer<typeof MemorySchema>;

export const DiskIoSchema = z.strictObject({
  device: str(LIMITS.maxNameLength),
  readBytesPerSec: nonNeg(),
  writeBytesPerSec: nonNeg(),
  readsPerSec: nonNeg().optional(),
  writesPerSec: nonNeg().optional(),
  /** % of time the device had I/O in flight. */
  busyPercent: nonNeg().optional(),
});
export type DiskIo = z.infer<typeof DiskIoSchema>;

export const NetIoSchema = z.strictObject({
  iface: str(LIMITS.maxNameLength),
  rxBytesPerSec: nonNeg(),
  txBytesPerSec: nonNeg(),
  rxPacketsPerSec: nonNeg().optional(),
  txPacketsPerSec: nonNeg().optional(),
});
export type NetIo = z.infer<typeof NetIoSchema>;

export const BatterySchema = z.strictObject({
  present: z.boolean(),
  percent: nonNeg().optional(),
  charging: z.boolean().optional(),
  acConnected: z.boolean().optional(),
});
export type Battery = z.infer<typeof BatterySchema>;

export const SystemSampleSchema = z.strictObject({
  cpuPercent: nonNeg(),
  cores: z.array(CoreSampleSchema).max(LIMITS.maxCores),
  memory: MemorySchema,
  loadAvg: z.tuple([nonNeg(), nonNeg(), nonNeg()]).optional(),
  psi: z
    .strictObject({ cpu: PsiSchema.optional(), memory: PsiSchema.optional(), io: PsiSchema.optional() })
    .optional(),
  disks: z.array(DiskIoSchema).max(LIMITS.maxDevices).optional(),
  net: z.array(NetIoSchema).max(LIMITS.maxDevices).optional(),
  battery: BatterySchema.optional(),
  temperaturesC: z.array(z.strictObject({ label: str(128), celsius: z.number().finite() })).max(256).optional(),
  uptimeSec: nonNeg().optional(),
  processCount: int().nonnegative(),
  threadCount: int().nonnegative().optional(),
  contextSwitchesPerSec: nonNeg().optional(),
  forksPerSec: nonNeg().optional(),
});
export type SystemSample = z.infer<typeof SystemSampleSchema>;

/** One tick of the monitor. Sub-parts are optional so one failing source never breaks a tick. */
export const SampleSchema = z.strictObject({
  /** Epoch ms when the sample was taken. */
  at: nonNeg(),
  /** Wall time this sample's rates were computed over. */
  intervalMs: nonNeg(),
  system: SystemSampleSchema,
  processes: z.array(ProcessSampleSchema).max(LIMITS.maxProcesses),
  /** Sources that failed this tick, with a short message. */
  errors: z.array(z.strictObject({ source: str(64), message: str(1024) })).max(64).optional(),
  /** CPU time the collector itself spent producing this sample, ms. */
  collectCpuMs: nonNeg().optional(),
});
export type Sample = z.infer<typeof SampleSchema>;

/** Static facts read once at start. */
export const SystemInfoSchema = z.strictObject({
  platform: PlatformSchema,
  hostname: str(LIMITS.maxNameLength),
  osRelease: str(LIMITS.maxNameLength),
  cpuModel: str(LIMITS.maxNameLength),
  logicalCores: int().positive(),
  physicalCores: int().positive().optional(),
  /** For each logical core, the logical cores sharing its physical core (SMT siblings), itself included. */
  smtSiblings: z.array(z.array(int().nonnegative()).max(64)).max(LIMITS.maxCores).optional(),
  totalMemoryBytes: nonNeg(),
  clockTicksPerSec: int().positive().optional(),
  bootTimeMs: nonNeg().optional(),
});
export type SystemInfo = z.infer<typeof SystemInfoSchema>;

/**
 * Totals of one program (the executable's identity across runs, see src-main/monitor/programs.ts)
 * over the processes of one sample. Optional sums are present when at least one process had the value.
 */
export const ProgramTotalSchema = z.strictObject({
  programId: str(LIMITS.maxNameLength),
  name: str(LIMITS.maxNameLength),
  pids: z.array(int().positive()).max(LIMITS.maxProcesses),
  count: int().nonnegative(),
  cpuPercent: nonNeg(),
  rssBytes: nonNeg(),
  swapBytes: nonNeg().optional(),
  threads: int().nonnegative().optional(),
  readBytesPerSec: nonNeg().optional(),
  writeBytesPerSec: nonNeg().optional(),
  majorFaultsPerSec: nonNeg().optional(),
});
export type ProgramTotal = z.infer<typeof ProgramTotalSchema>;

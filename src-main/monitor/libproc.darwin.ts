// macOS collector, parsing step: pure functions over the structs libproc and Mach fill
// (proc_pidinfo PROC_PIDTASKALLINFO / PROC_PIDT_SHORTBSDINFO, proc_pid_rusage RUSAGE_INFO_V2,
// host_statistics64 HOST_VM_INFO64, sysctl vm.swapusage). No I/O and no koffi here; tests feed
// fixture buffers laid out per the SDK headers (test/fixtures/darwin/libproc-builder.ts).
//
// Layouts (LP64; arm64 and x86_64 agree), from <sys/proc_info.h>, <sys/resource.h>,
// <mach/vm_statistics.h>, <sys/sysctl.h>:
//
// struct proc_taskallinfo (232) = struct proc_bsdinfo (136) + struct proc_taskinfo (96)
// proc_bsdinfo: 0 pbi_flags u32, 4 pbi_status u32, 8 pbi_xstatus, 12 pbi_pid, 16 pbi_ppid,
//   20 pbi_uid, 24 pbi_gid, 28 pbi_ruid, 32 pbi_rgid, 36 pbi_svuid, 40 pbi_svgid, 44 rfu_1,
//   48 pbi_comm[MAXCOMLEN=16], 64 pbi_name[2*MAXCOMLEN=32], 96 pbi_nfiles, 100 pbi_pgid,
//   104 pbi_pjobc, 108 e_tdev, 112 e_tpgid, 116 pbi_nice i32, 120 pbi_start_tvsec u64,
//   128 pbi_start_tvusec u64
// proc_taskinfo (at 136): 0 pti_virtual_size u64, 8 pti_resident_size, 16 pti_total_user,
//   24 pti_total_system (Mach absolute time units: ns on Intel, x 125/3 on Apple Silicon; scale
//   by mach_timebase_info), 32 pti_threads_user, 40 pti_threads_system, 48 pti_policy i32,
//   52 pti_faults, 56 pti_pageins, 60 pti_cow_faults, 64 pti_messages_sent,
//   68 pti_messages_received, 72 pti_syscalls_mach, 76 pti_syscalls_unix, 80 pti_csw,
//   84 pti_threadnum, 88 pti_numrunning, 92 pti_priority (all i32; the counters are read as u32
//   so they keep counting past 2^31 instead of turning negative)
// struct proc_bsdshortinfo (64): 0 pbsi_pid, 4 pbsi_ppid, 8 pbsi_pgid, 12 pbsi_status,
//   16 pbsi_comm[16], 32 pbsi_flags, 36 pbsi_uid, 40 pbsi_gid, 44 pbsi_ruid, 48 pbsi_rgid,
//   52 pbsi_svuid, 56 pbsi_svgid, 60 pbsi_rfu
// struct rusage_info_v2 (160): 0 ri_uuid[16], 16 ri_user_time, 24 ri_system_time,
//   32 ri_pkg_idle_wkups, 40 ri_interrupt_wkups, 48 ri_pageins, 56 ri_wired_size,
//   64 ri_resident_size, 72 ri_phys_footprint, 80 ri_proc_start_abstime, 88 ri_proc_exit_abstime,
//   96..136 ri_child_*, 144 ri_diskio_bytesread, 152 ri_diskio_byteswritten (all u64)
// struct vm_statistics64 (152, HOST_VM_INFO64_COUNT = 38 natural_t): 0 free_count u32,
//   4 active_count, 8 inactive_count, 12 wire_count, 16 zero_fill_count u64, 24 reactivations,
//   32 pageins, 40 pageouts, 48 faults, 56 cow_faults, 64 lookups, 72 hits, 80 purges,
//   88 purgeable_count u32, 92 speculative_count u32, 96 decompressions u64, 104 compressions,
//   112 swapins, 120 swapouts, 128 compressor_page_count u32, 132 throttled_count,
//   136 external_page_count, 140 internal_page_count, 144 total_uncompressed_pages_in_compressor u64
// struct xsw_usage (32): 0 xsu_total u64, 8 xsu_avail, 16 xsu_used, 24 xsu_pagesize u32,
//   28 xsu_encrypted boolean_t

export const BSDINFO = {
  sizeBytes: 136,
  status: 4,
  pid: 12,
  ppid: 16,
  uid: 20,
  comm: 48,
  commBytes: 16,
  name: 64,
  nameBytes: 32,
  nfiles: 96,
  nice: 116,
  startTvSec: 120,
  startTvUsec: 128,
} as const;

export const TASKINFO = {
  sizeBytes: 96,
  virtualSize: 0,
  residentSize: 8,
  totalUser: 16,
  totalSystem: 24,
  policy: 48,
  faults: 52,
  pageins: 56,
  cowFaults: 60,
  syscallsMach: 72,
  syscallsUnix: 76,
  csw: 80,
  threadnum: 84,
  numrunning: 88,
  priority: 92,
} as const;

export const TASKALLINFO_BYTES = BSDINFO.sizeBytes + TASKINFO.sizeBytes;

export const SHORTBSDINFO = {
  sizeBytes: 64,
  pid: 0,
  ppid: 4,
  status: 12,
  comm: 16,
  uid: 36,
} as const;

export const RUSAGE_V2 = {
  sizeBytes: 160,
  userTime: 16,
  systemTime: 24,
  pageins: 48,
  residentSize: 64,
  physFootprint: 72,
  diskioBytesRead: 144,
  diskioBytesWritten: 152,
} as const;

export const VM_STATISTICS64 = {
  sizeBytes: 152,
  count: 38,
  freeCount: 0,
  activeCount: 4,
  inactiveCount: 8,
  wireCount: 12,
  pageins: 32,
  pageouts: 40,
  faults: 48,
  purgeableCount: 88,
  speculativeCount: 92,
  swapins: 112,
  swapouts: 120,
  compressorPageCount: 128,
  externalPageCount: 136,
  internalPageCount: 140,
} as const;

export const XSW_USAGE = { sizeBytes: 32, total: 0, avail: 8, used: 16, pagesize: 24 } as const;

/** pbi_status values (<sys/proc.h>). */
export const PROC_STATUS = { SIDL: 1, SRUN: 2, SSLEEP: 3, SSTOP: 4, SZOMB: 5 } as const;

/** Raw counters of one process from PROC_PIDTASKALLINFO. Times are Mach absolute time units. */
export interface DarwinTaskAllInfo {
  pid: number;
  ppid: number;
  uid: number;
  status: number;
  /** pbi_name when set (up to 32 bytes), else pbi_comm (up to 16). */
  name: string;
  comm: string;
  nice: number;
  startTvSec: number;
  startTvUsec: number;
  virtualSizeBytes: number;
  residentSizeBytes: number;
  totalUserMach: bigint;
  totalSystemMach: bigint;
  policy: number;
  faults: number;
  pageins: number;
  syscallsMach: number;
  syscallsUnix: number;
  contextSwitches: number;
  threads: number;
  runningThreads: number;
  priority: number;
}

export interface DarwinShortBsdInfo {
  pid: number;
  ppid: number;
  uid: number;
  status: number;
  comm: string;
}

export interface DarwinRusage {
  userTimeMach: bigint;
  systemTimeMach: bigint;
  physFootprintBytes: number;
  diskReadBytes: number;
  diskWriteBytes: number;
}

export interface DarwinVmStatistics {
  freePages: number;
  activePages: number;
  inactivePages: number;
  wiredPages: number;
  purgeablePages: number;
  speculativePages: number;
  compressorPages: number;
  externalPages: number;
  internalPages: number;
  pageins: number;
  pageouts: number;
  swapins: number;
  swapouts: number;
}

export interface DarwinSwapUsage {
  totalBytes: number;
  availBytes: number;
  usedBytes: number;
}

function view(bytes: ArrayBuffer | ArrayBufferView): DataView {
  if (bytes instanceof ArrayBuffer) return new DataView(bytes);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function need(v: DataView, bytes: number, what: string): void {
  if (v.byteLength < bytes) throw new Error(`${what} needs ${bytes} bytes, got ${v.byteLength}`);
}

/** A NUL-terminated UTF-8 C string inside a fixed-size char array. */
function cString(v: DataView, offset: number, max: number): string {
  const bytes = new Uint8Array(v.buffer, v.byteOffset + offset, max);
  const end = bytes.indexOf(0);
  return new TextDecoder('utf-8').decode(end === -1 ? bytes : bytes.subarray(0, end));
}

export function parseTaskAllInfo(bytes: ArrayBuffer | ArrayBufferView): DarwinTaskAllInfo {
  const v = view(bytes);
  need(v, TASKALLINFO_BYTES, 'proc_taskallinfo');
  const t = BSDINFO.sizeBytes;
  const comm = cString(v, BSDINFO.comm, BSDINFO.commBytes);
  const longName = cString(v, BSDINFO.name, BSDINFO.nameBytes);
  return {
    pid: v.getUint32(BSDINFO.pid, true),
    ppid: v.getUint32(BSDINFO.ppid, true),
    uid: v.getUint32(BSDINFO.uid, true),
    status: v.getUint32(BSDINFO.status, true),
    name: longName || comm,
    comm,
    nice: v.getInt32(BSDINFO.nice, true),
    startTvSec: Number(v.getBigUint64(BSDINFO.startTvSec, true)),
    startTvUsec: Number(v.getBigUint64(BSDINFO.startTvUsec, true)),
    virtualSizeBytes: Number(v.getBigUint64(t + TASKINFO.virtualSize, true)),
    residentSizeBytes: Number(v.getBigUint64(t + TASKINFO.residentSize, true)),
    totalUserMach: v.getBigUint64(t + TASKINFO.totalUser, true),
    totalSystemMach: v.getBigUint64(t + TASKINFO.totalSystem, true),
    policy: v.getInt32(t + TASKINFO.policy, true),
    faults: v.getUint32(t + TASKINFO.faults, true),
    pageins: v.getUint32(t + TASKINFO.pageins, true),
    syscallsMach: v.getUint32(t + TASKINFO.syscallsMach, true),
    syscallsUnix: v.getUint32(t + TASKINFO.syscallsUnix, true),
    contextSwitches: v.getUint32(t + TASKINFO.csw, true),
    threads: Math.max(0, v.getInt32(t + TASKINFO.threadnum, true)),
    runningThreads: Math.max(0, v.getInt32(t + TASKINFO.numrunning, true)),
    priority: v.getInt32(t + TASKINFO.priority, true),
  };
}

export function parseShortBsdInfo(bytes: ArrayBuffer | ArrayBufferView): DarwinShortBsdInfo {
  const v = view(bytes);
  need(v, SHORTBSDINFO.sizeBytes, 'proc_bsdshortinfo');
  return {
    pid: v.getUint32(SHORTBSDINFO.pid, true),
    ppid: v.getUint32(SHORTBSDINFO.ppid, true),
    uid: v.getUint32(SHORTBSDINFO.uid, true),
    status: v.getUint32(SHORTBSDINFO.status, true),
    comm: cString(v, SHORTBSDINFO.comm, 16),
  };
}

export function parseRusageV2(bytes: ArrayBuffer | ArrayBufferView): DarwinRusage {
  const v = view(bytes);
  need(v, RUSAGE_V2.sizeBytes, 'rusage_info_v2');
  return {
    userTimeMach: v.getBigUint64(RUSAGE_V2.userTime, true),
    systemTimeMach: v.getBigUint64(RUSAGE_V2.systemTime, true),
    physFootprintBytes: Number(v.getBigUint64(RUSAGE_V2.physFootprint, true)),
    diskReadBytes: Number(v.getBigUint64(RUSAGE_V2.diskioBytesRead, true)),
    diskWriteBytes: Number(v.getBigUint64(RUSAGE_V2.diskioBytesWritten, true)),
  };
}

export function parseVmStatistics64(bytes: ArrayBuffer | ArrayBufferView): DarwinVmStatistics {
  const v = view(bytes);
  need(v, VM_STATISTICS64.sizeBytes, 'vm_statistics64');
  const S = VM_STATISTICS64;
  const u32 = (o: number) => v.getUint32(o, true);
  const u64 = (o: number) => Number(v.getBigUint64(o, true));
  return {
    freePages: u32(S.freeCount),
    activePages: u32(S.activeCount),
    inactivePages: u32(S.inactiveCount),
    wiredPages: u32(S.wireCount),
    purgeablePages: u32(S.purgeableCount),
    speculativePages: u32(S.speculativeCount),
    compressorPages: u32(S.compressorPageCount),
    externalPages: u32(S.externalPageCount),
    internalPages: u32(S.internalPageCount),
    pageins: u64(S.pageins),
    pageouts: u64(S.pageouts),
    swapins: u64(S.swapins),
    swapouts: u64(S.swapouts),
  };
}

export function parseXswUsage(bytes: ArrayBuffer | ArrayBufferView): DarwinSwapUsage {
  const v = view(bytes);
  need(v, XSW_USAGE.sizeBytes, 'xsw_usage');
  return {
    totalBytes: Number(v.getBigUint64(XSW_USAGE.total, true)),
    availBytes: Number(v.getBigUint64(XSW_USAGE.avail, true)),
    usedBytes: Number(v.getBigUint64(XSW_USAGE.used, true)),
  };
}

/** Mach absolute time units -> ms, with the mach_timebase_info ratio (1/1 Intel, 125/3 Apple Silicon). */
export function machToMs(ticks: bigint, numer: number, denom: number): number {
  if (denom <= 0) return 0;
  return (Number(ticks) * numer) / denom / 1e6;
}

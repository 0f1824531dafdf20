// macOS native bindings through koffi: libproc (proc_listallpids, proc_pidinfo with
// PROC_PIDTASKALLINFO / PROC_PIDT_SHORTBSDINFO, proc_pid_rusage RUSAGE_INFO_V2, proc_pidpath),
// Mach (mach_timebase_info, host_statistics64 HOST_VM_INFO64) and sysctlbyname (hw.memsize,
// hw.pagesize, vm.swapusage), all from libSystem. Per-core CPU ticks come from Node's os.cpus(),
// which libuv reads with host_processor_info(PROCESSOR_CPU_LOAD_INFO): the same kernel call,
// no shell.
//
// koffi is imported lazily inside `loadDarwinProcessApi()`, which refuses to run off darwin.
import os from 'node:os';
import { importKoffi, type KoffiApi } from '../native/koffi';
import { RUSAGE_V2, SHORTBSDINFO, TASKALLINFO_BYTES, VM_STATISTICS64, XSW_USAGE } from './libproc.darwin';

/** A libproc call's bytes, or the errno it failed with (ESRCH: gone; EPERM: another user's). */
export type DarwinCallResult = { ok: true; bytes: Uint8Array } | { ok: false; errno: number };

/** Cumulative per-core CPU times in ms, as os.cpus()[i].times. */
export interface DarwinCpuTimes {
  user: number;
  nice: number;
  sys: number;
  idle: number;
}

export interface DarwinProcessApi {
  /** proc_listallpids: every pid, in one call. */
  listAllPids(): number[];
  /** proc_pidinfo(pid, PROC_PIDTASKALLINFO): proc_bsdinfo + proc_taskinfo (232 bytes). Same user or root only. */
  taskAllInfo(pid: number): DarwinCallResult;
  /** proc_pidinfo(pid, PROC_PIDT_SHORTBSDINFO): 64 bytes, allowed for any user's process. */
  shortBsdInfo(pid: number): DarwinCallResult;
  /** proc_pid_rusage(pid, RUSAGE_INFO_V2): 160 bytes incl. disk I/O bytes. Same user or root only. */
  rusageV2(pid: number): DarwinCallResult;
  /** proc_pidpath; read once per new process. */
  pidPath?(pid: number): string | undefined;
  /** User name for a uid (getpwuid); the sampler caches it. */
  userName?(uid: number): string | undefined;
  machTimebase(): { numer: number; denom: number };
  cpuTimes(): DarwinCpuTimes[];
  /** host_statistics64(HOST_VM_INFO64): vm_statistics64 bytes. */
  vmStatistics64(): Uint8Array;
  /** sysctl vm.swapusage: xsw_usage bytes. */
  swapUsage(): Uint8Array;
  memSizeBytes(): number;
  pageSizeBytes(): number;
  close(): void;
}

export const PROC_PIDTASKALLINFO = 2;
export const PROC_PIDT_SHORTBSDINFO = 13;
export const RUSAGE_INFO_V2 = 2;
export const HOST_VM_INFO64 = 4;
export const PROC_PIDPATHINFO_MAXSIZE = 4096;

/** koffi definitions of the structs the parsers read, for a layout cross-check in tests. */
export function defineDarwinStructs(koffi: KoffiApi) {
  const proc_bsdinfo = koffi.struct('ALLOT_proc_bsdinfo', {
    pbi_flags: 'uint32_t',
    pbi_status: 'uint32_t',
    pbi_xstatus: 'uint32_t',
    pbi_pid: 'uint32_t',
    pbi_ppid: 'uint32_t',
    pbi_uid: 'uint32_t',
    pbi_gid: 'uint32_t',
    pbi_ruid: 'uint32_t',
    pbi_rgid: 'uint32_t',
    pbi_svuid: 'uint32_t',
    pbi_svgid: 'uint32_t',
    rfu_1: 'uint32_t',
    pbi_comm: koffi.array('char', 16),
    pbi_name: koffi.array('char', 32),
    pbi_nfiles: 'uint32_t',
    pbi_pgid: 'uint32_t',
    pbi_pjobc: 'uint32_t',
    e_tdev: 'uint32_t',
    e_tpgid: 'uint32_t',
    pbi_nice: 'int32_t',
    pbi_start_tvsec: 'uint64_t',
    pbi_start_tvusec: 'uint64_t',
  });
  const proc_taskinfo = koffi.struct('ALLOT_proc_taskinfo', {
    pti_virtual_size: 'uint64_t',
    pti_resident_size: 'uint64_t',
    pti_total_user: 'uint64_t',
    pti_total_system: 'uint64_t',
    pti_threads_user: 'uint64_t',
    pti_threads_system: 'uint64_t',
    pti_policy: 'int32_t',
    pti_faults: 'int32_t',
    pti_pageins: 'int32_t',
    pti_cow_faults: 'int32_t',
    pti_messages_sent: 'int32_t',
    pti_messages_received: 'int32_t',
    pti_syscalls_mach: 'int32_t',
    pti_syscalls_unix: 'int32_t',
    pti_csw: 'int32_t',
    pti_threadnum: 'int32_t',
    pti_numrunning: 'int32_t',
    pti_priority: 'int32_t',
  });
  const proc_taskallinfo = koffi.struct('ALLOT_proc_taskallinfo', { pbsd: proc_bsdinfo, ptinfo: proc_taskinfo });
  const proc_bsdshortinfo = koffi.struct('ALLOT_proc_bsdshortinfo', {
    pbsi_pid: 'uint32_t',
    pbsi_ppid: 'uint32_t',
    pbsi_pgid: 'uint32_t',
    pbsi_status: 'uint32_t',
    pbsi_comm: koffi.array('char', 16),
    pbsi_flags: 'uint32_t',
    pbsi_uid: 'uint32_t',
    pbsi_gid: 'uint32_t',
    pbsi_ruid: 'uint32_t',
    pbsi_rgid: 'uint32_t',
    pbsi_svuid: 'uint32_t',
    pbsi_svgid: 'uint32_t',
    pbsi_rfu: 'uint32_t',
  });
  const rusage_info_v2 = koffi.struct('ALLOT_rusage_info_v2', {
    ri_uuid: koffi.array('uint8_t', 16),
    ri_user_time: 'uint64_t',
    ri_system_time: 'uint64_t',
    ri_pkg_idle_wkups: 'uint64_t',
    ri_interrupt_wkups: 'uint64_t',
    ri_pageins: 'uint64_t',
    ri_wired_size: 'uint64_t',
    ri_resident_size: 'uint64_t',
    ri_phys_footprint: 'uint64_t',
    ri_proc_start_abstime: 'uint64_t',
    ri_proc_exit_abstime: 'uint64_t',
    ri_child_user_time: 'uint64_t',
    ri_child_system_time: 'uint64_t',
    ri_child_pkg_idle_wkups: 'uint64_t',
    ri_child_interrupt_wkups: 'uint64_t',
    ri_child_pageins: 'uint64_t',
    ri_child_elapsed_abstime: 'uint64_t',
    ri_diskio_bytesread: 'uint64_t',
    ri_diskio_byteswritten: 'uint64_t',
  });
  const vm_statistics64 = koffi.struct('ALLOT_vm_statistics64', {
    free_count: 'uint32_t',
    active_count: 'uint32_t',
    inactive_count: 'uint32_t',
    wire_count: 'uint32_t',
    zero_fill_count: 'uint64_t',
    reactivations: 'uint64_t',
    pageins: 'uint64_t',
    pageouts: 'uint64_t',
    faults: 'uint64_t',
    cow_faults: 'uint64_t',
    lookups: 'uint64_t',
    hits: 'uint64_t',
    purges: 'uint64_t',
    purgeable_count: 'uint32_t',
    speculative_count: 'uint32_t',
    decompressions: 'uint64_t',
    compressions: 'uint64_t',
    swapins: 'uint64_t',
    swapouts: 'uint64_t',
    compressor_page_count: 'uint32_t',
    throttled_count: 'uint32_t',
    external_page_count: 'uint32_t',
    internal_page_count: 'uint32_t',
    total_uncompressed_pages_in_compressor: 'uint64_t',
  });
  const xsw_usage = koffi.struct('ALLOT_xsw_usage', {
    xsu_total: 'uint64_t',
    xsu_avail: 'uint64_t',
    xsu_used: 'uint64_t',
    xsu_pagesize: 'uint32_t',
    xsu_encrypted: 'uint32_t',
  });
  return { proc_bsdinfo, proc_taskinfo, proc_taskallinfo, proc_bsdshortinfo, rusage_info_v2, vm_statistics64, xsw_usage };
}

/** Load the real macOS API. Throws with a clear message anywhere but darwin. */
export async function loadDarwinProcessApi(): Promise<DarwinProcessApi> {
  if (process.platform !== 'darwin') {
    throw new Error(`loadDarwinProcessApi: needs darwin, this is ${process.platform}`);
  }
  const koffi = await importKoffi();
  const lib = koffi.load('/usr/lib/libSystem.B.dylib');
  const proc_listallpids = lib.func('int proc_listallpids(void *buffer, int buffersize)');
  const proc_pidinfo = lib.func('int proc_pidinfo(int pid, int flavor, uint64_t arg, void *buffer, int buffersize)');
  const proc_pid_rusage = lib.func('int proc_pid_rusage(int pid, int flavor, void *buffer)');
  const proc_pidpath = lib.func('int proc_pidpath(int pid, void *buffer, uint32_t buffersize)');
  const mach_timebase_info = lib.func('int mach_timebase_info(void *info)');
  const mach_host_self = lib.func('uint32_t mach_host_self(void)');
  const host_statistics64 = lib.func('int host_statistics64(uint32_t host, int flavor, void *info, _Inout_ uint32_t *count)');
  const sysctlbyname = lib.func('int sysctlbyname(const char *name, void *oldp, _Inout_ size_t *oldlenp, void *newp, size_t newlen)');
  const getpwuid = lib.func('void *getpwuid(uint32_t uid)');

  const host = mach_host_self() as number;
  let pidBuffer = Buffer.alloc(4 * 4096);
  const taskBuf = Buffer.alloc(TASKALLINFO_BYTES);
  const shortBuf = Buffer.alloc(SHORTBSDINFO.sizeBytes);
  const rusageBuf = Buffer.alloc(RUSAGE_V2.sizeBytes);
  const pathBuf = Buffer.alloc(PROC_PIDPATHINFO_MAXSIZE);

  function sysctl(name: string, size: number): Buffer {
    const out = Buffer.alloc(size);
    const len = [size];
    if ((sysctlbyname(name, out, len, null, 0) as number) !== 0) throw new Error(`sysctl ${name} failed: errno ${koffi.errno()}`);
    return out.subarray(0, len[0] ?? size);
  }
  function pidinfo(pid: number, flavor: number, buf: Buffer): DarwinCallResult {
    koffi.errno(0);
    const n = proc_pidinfo(pid, flavor, 0, buf, buf.length) as number;
    if (n !== buf.length) return { ok: false, errno: koffi.errno() || 3 /* ESRCH */ };
    return { ok: true, bytes: Uint8Array.from(buf) };
  }
  const timebaseBuf = Buffer.alloc(8);
  mach_timebase_info(timebaseBuf);
  const timebase = { numer: timebaseBuf.readUInt32LE(0), denom: timebaseBuf.readUInt32LE(4) };
  const pageSize = Number(sysctl('hw.pagesize', 8).readBigUInt64LE(0));
  const memSize = Number(sysctl('hw.memsize', 8).readBigUInt64LE(0));

  return {
    listAllPids() {
      for (let attempt = 0; attempt < 4; attempt++) {
        const n = proc_listallpids(pidBuffer, pidBuffer.length) as number;
        if (n < 0) throw new Error(`proc_listallpids failed: errno ${koffi.errno()}`);
        // A full buffer may have been truncated: grow and retry.
        if (n * 4 >= pidBuffer.length) {
          pidBuffer = Buffer.alloc(pidBuffer.length * 2);
          continue;
        }
        const pids: number[] = [];
        for (let i = 0; i < n; i++) pids.push(pidBuffer.readInt32LE(i * 4));
        return pids;
      }
      throw new Error('proc_listallpids: too many processes');
    },
    taskAllInfo: (pid) => pidinfo(pid, PROC_PIDTASKALLINFO, taskBuf),
    shortBsdInfo: (pid) => pidinfo(pid, PROC_PIDT_SHORTBSDINFO, shortBuf),
    rusageV2(pid) {
      koffi.errno(0);
      if ((proc_pid_rusage(pid, RUSAGE_INFO_V2, rusageBuf) as number) !== 0) return { ok: false, errno: koffi.errno() || 3 };
      return { ok: true, bytes: Uint8Array.from(rusageBuf) };
    },
    pidPath(pid) {
      const n = proc_pidpath(pid, pathBuf, pathBuf.length) as number;
      return n > 0 ? pathBuf.toString('utf8', 0, n) : undefined;
    },
    userName(uid) {
      const pw = getpwuid(uid);
      if (!pw) return undefined;
      // struct passwd starts with `char *pw_name`.
      return koffi.decode(pw, 'const char *') as string;
    },
    machTimebase: () => timebase,
    cpuTimes: () => os.cpus().map((c) => ({ user: c.times.user, nice: c.times.nice, sys: c.times.sys, idle: c.times.idle })),
    vmStatistics64() {
      const buf = Buffer.alloc(VM_STATISTICS64.sizeBytes);
      const count = [VM_STATISTICS64.count];
      const kr = host_statistics64(host, HOST_VM_INFO64, buf, count) as number;
      if (kr !== 0) throw new Error(`host_statistics64 failed: kern_return ${kr}`);
      return buf;
    },
    swapUsage: () => sysctl('vm.swapusage', XSW_USAGE.sizeBytes),
    memSizeBytes: () => memSize,
    pageSizeBytes: () => pageSize,
    close() {
      pidBuffer = Buffer.alloc(0);
    },
  };
}

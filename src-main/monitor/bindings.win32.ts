// Windows native bindings through koffi: ntdll NtQuerySystemInformation (SystemProcessInformation
// for every process in one call, SystemProcessorPerformanceInformation for per-core times),
// kernel32 GetSystemTimes, GlobalMemoryStatusEx and K32GetPerformanceInfo.
//
// koffi is imported lazily inside `loadWin32ProcessApi()`, which refuses to run anywhere but win32,
// so importing this module on Linux/macOS costs nothing. Everything the sampler needs goes through
// the `Win32ProcessApi` interface, which tests implement with fixture buffers.
import { importKoffi, type KoffiApi } from '../native/koffi';
import { parseMemoryStatusEx, parsePerformanceInformation, MEMORYSTATUSEX, PERFORMANCE_INFORMATION } from './sysinfo.win32';
import type { MemoryStatusEx, PerformanceInformation } from './sysinfo.win32';

export type { MemoryStatusEx, PerformanceInformation } from './sysinfo.win32';

/** Cumulative system times from GetSystemTimes, 100 ns units. Kernel time includes idle time. */
export interface Win32SystemTimes {
  idle100ns: bigint;
  kernel100ns: bigint;
  user100ns: bigint;
}

/** A filled NtQuerySystemInformation buffer. */
export interface Win32RawBuffer {
  bytes: Uint8Array;
  /** ReturnLength: how many bytes of `bytes` the call filled. */
  byteLength: number;
}

export interface Win32ProcessApi {
  /**
   * NtQuerySystemInformation(SystemProcessInformation): every process with its threads.
   * `baseAddress` is the native address of `bytes[0]` during the call; ImageName pointers in the
   * records point into this buffer.
   */
  querySystemProcessInformation(): Win32RawBuffer & { baseAddress: bigint };
  /** NtQuerySystemInformation(SystemProcessorPerformanceInformation): one 48-byte entry per logical CPU. */
  queryProcessorPerformance(): Win32RawBuffer;
  getSystemTimes(): Win32SystemTimes;
  globalMemoryStatusEx(): MemoryStatusEx;
  /** K32GetPerformanceInfo: cache size, commit, system-wide handle/thread counts. Optional. */
  getPerformanceInfo?(): PerformanceInformation;
  close(): void;
}

export const SystemInformationClass = {
  SystemProcessInformation: 5,
  SystemProcessorPerformanceInformation: 8,
} as const;

/** NTSTATUS STATUS_INFO_LENGTH_MISMATCH (0xC0000004) as the signed 32-bit value koffi returns. */
export const STATUS_INFO_LENGTH_MISMATCH = 0xc0000004 | 0;

/**
 * koffi struct definitions of the same layouts the pure parsers read. Not used for parsing (the
 * parsers read bytes directly, which is faster than koffi decoding ~500 records); kept so a test
 * can check the hand-written offsets against the C layout rules koffi applies.
 */
export function defineWin32Structs(koffi: KoffiApi) {
  const UNICODE_STRING = koffi.struct('ALLOT_UNICODE_STRING', {
    Length: 'uint16_t',
    MaximumLength: 'uint16_t',
    Buffer: 'void *',
  });
  const SYSTEM_THREAD_INFORMATION = koffi.struct('ALLOT_SYSTEM_THREAD_INFORMATION', {
    KernelTime: 'int64_t',
    UserTime: 'int64_t',
    CreateTime: 'int64_t',
    WaitTime: 'uint32_t',
    StartAddress: 'void *',
    UniqueProcess: 'void *',
    UniqueThread: 'void *',
    Priority: 'int32_t',
    BasePriority: 'int32_t',
    ContextSwitches: 'uint32_t',
    ThreadState: 'uint32_t',
    WaitReason: 'uint32_t',
  });
  const SYSTEM_PROCESS_INFORMATION = koffi.struct('ALLOT_SYSTEM_PROCESS_INFORMATION', {
    NextEntryOffset: 'uint32_t',
    NumberOfThreads: 'uint32_t',
    WorkingSetPrivateSize: 'int64_t',
    HardFaultCount: 'uint32_t',
    NumberOfThreadsHighWatermark: 'uint32_t',
    CycleTime: 'uint64_t',
    CreateTime: 'int64_t',
    UserTime: 'int64_t',
    KernelTime: 'int64_t',
    ImageName: UNICODE_STRING,
    BasePriority: 'int32_t',
    UniqueProcessId: 'void *',
    InheritedFromUniqueProcessId: 'void *',
    HandleCount: 'uint32_t',
    SessionId: 'uint32_t',
    UniqueProcessKey: 'uintptr_t',
    PeakVirtualSize: 'size_t',
    VirtualSize: 'size_t',
    PageFaultCount: 'uint32_t',
    PeakWorkingSetSize: 'size_t',
    WorkingSetSize: 'size_t',
    QuotaPeakPagedPoolUsage: 'size_t',
    QuotaPagedPoolUsage: 'size_t',
    QuotaPeakNonPagedPoolUsage: 'size_t',
    QuotaNonPagedPoolUsage: 'size_t',
    PagefileUsage: 'size_t',
    PeakPagefileUsage: 'size_t',
    PrivatePageCount: 'size_t',
    ReadOperationCount: 'int64_t',
    WriteOperationCount: 'int64_t',
    OtherOperationCount: 'int64_t',
    ReadTransferCount: 'int64_t',
    WriteTransferCount: 'int64_t',
    OtherTransferCount: 'int64_t',
  });
  const SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION = koffi.struct('ALLOT_SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION', {
    IdleTime: 'int64_t',
    KernelTime: 'int64_t',
    UserTime: 'int64_t',
    DpcTime: 'int64_t',
    InterruptTime: 'int64_t',
    InterruptCount: 'uint32_t',
  });
  const MEMORYSTATUSEX_T = koffi.struct('ALLOT_MEMORYSTATUSEX', {
    dwLength: 'uint32_t',
    dwMemoryLoad: 'uint32_t',
    ullTotalPhys: 'uint64_t',
    ullAvailPhys: 'uint64_t',
    ullTotalPageFile: 'uint64_t',
    ullAvailPageFile: 'uint64_t',
    ullTotalVirtual: 'uint64_t',
    ullAvailVirtual: 'uint64_t',
    ullAvailExtendedVirtual: 'uint64_t',
  });
  const PERFORMANCE_INFORMATION_T = koffi.struct('ALLOT_PERFORMANCE_INFORMATION', {
    cb: 'uint32_t',
    CommitTotal: 'size_t',
    CommitLimit: 'size_t',
    CommitPeak: 'size_t',
    PhysicalTotal: 'size_t',
    PhysicalAvailable: 'size_t',
    SystemCache: 'size_t',
    KernelTotal: 'size_t',
    KernelPaged: 'size_t',
    KernelNonpaged: 'size_t',
    PageSize: 'size_t',
    HandleCount: 'uint32_t',
    ProcessCount: 'uint32_t',
    ThreadCount: 'uint32_t',
  });
  return {
    UNICODE_STRING,
    SYSTEM_THREAD_INFORMATION,
    SYSTEM_PROCESS_INFORMATION,
    SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION,
    MEMORYSTATUSEX: MEMORYSTATUSEX_T,
    PERFORMANCE_INFORMATION: PERFORMANCE_INFORMATION_T,
  };
}

/** Start size of the process buffer; it grows to ReturnLength + headroom when too small. */
const INITIAL_SPI_BYTES = 512 * 1024;
const SPI_HEADROOM_BYTES = 64 * 1024;

/**
 * Load the real Windows API. Throws (with a clear message) on any other platform or when koffi
 * cannot load; callers fall back to the systeminformation sampler.
 */
export async function loadWin32ProcessApi(): Promise<Win32ProcessApi> {
  if (process.platform !== 'win32') {
    throw new Error(`loadWin32ProcessApi: needs win32, this is ${process.platform}`);
  }
  const koffi = await importKoffi();
  const ntdll = koffi.load('ntdll.dll');
  const kernel32 = koffi.load('kernel32.dll');
  const NtQuerySystemInformation = ntdll.func(
    'int32_t __stdcall NtQuerySystemInformation(uint32_t SystemInformationClass, void *SystemInformation, uint32_t SystemInformationLength, _Out_ uint32_t *ReturnLength)',
  );
  // memset(p, 0, 0) returns p unchanged: the cheapest way to learn the address koffi passes for a
  // Buffer (koffi passes a Buffer's own memory to `void *` parameters, without copying).
  const memsetIdentity = ntdll.func('void *memset(void *dest, int c, size_t count)');
  const GetSystemTimes = kernel32.func('bool __stdcall GetSystemTimes(void *idle, void *kernel, void *user)');
  const GlobalMemoryStatusEx = kernel32.func('bool __stdcall GlobalMemoryStatusEx(void *buffer)');
  const K32GetPerformanceInfo = kernel32.func('bool __stdcall K32GetPerformanceInfo(void *buffer, uint32_t cb)');

  let spiBuffer = Buffer.alloc(INITIAL_SPI_BYTES);
  let cpuBuffer = Buffer.alloc(64 * PROCESSOR_ENTRY_BYTES);
  const addressOf = (buf: Buffer): bigint => koffi.address(memsetIdentity(buf, 0, 0));

  function query(cls: number, grow: (needed: number) => Buffer, current: () => Buffer): { bytes: Buffer; byteLength: number } {
    for (let attempt = 0; attempt < 8; attempt++) {
      const buf = current();
      const returnLength = [0];
      const status = NtQuerySystemInformation(cls, buf, buf.length, returnLength) as number;
      const needed = returnLength[0] ?? 0;
      if (status === STATUS_INFO_LENGTH_MISMATCH) {
        grow(Math.max(needed, buf.length * 2));
        continue;
      }
      if (status < 0) throw new Error(`NtQuerySystemInformation(${cls}) failed: NTSTATUS 0x${(status >>> 0).toString(16)}`);
      return { bytes: buf, byteLength: needed };
    }
    throw new Error(`NtQuerySystemInformation(${cls}): buffer kept growing`);
  }

  return {
    querySystemProcessInformation() {
      const result = query(
        SystemInformationClass.SystemProcessInformation,
        (needed) => (spiBuffer = Buffer.alloc(needed + SPI_HEADROOM_BYTES)),
        () => spiBuffer,
      );
      return { ...result, baseAddress: addressOf(result.bytes) };
    },
    queryProcessorPerformance() {
      return query(
        SystemInformationClass.SystemProcessorPerformanceInformation,
        (needed) => (cpuBuffer = Buffer.alloc(needed)),
        () => cpuBuffer,
      );
    },
    getSystemTimes() {
      const idle = Buffer.alloc(8);
      const kernel = Buffer.alloc(8);
      const user = Buffer.alloc(8);
      if (!GetSystemTimes(idle, kernel, user)) throw new Error('GetSystemTimes failed');
      return {
        idle100ns: idle.readBigUInt64LE(0),
        kernel100ns: kernel.readBigUInt64LE(0),
        user100ns: user.readBigUInt64LE(0),
      };
    },
    globalMemoryStatusEx() {
      const buf = Buffer.alloc(MEMORYSTATUSEX.sizeBytes);
      buf.writeUInt32LE(MEMORYSTATUSEX.sizeBytes, MEMORYSTATUSEX.dwLength);
      if (!GlobalMemoryStatusEx(buf)) throw new Error('GlobalMemoryStatusEx failed');
      return parseMemoryStatusEx(buf);
    },
    getPerformanceInfo() {
      const buf = Buffer.alloc(PERFORMANCE_INFORMATION.sizeBytes);
      if (!K32GetPerformanceInfo(buf, buf.length)) throw new Error('K32GetPerformanceInfo failed');
      return parsePerformanceInformation(buf);
    },
    close() {
      spiBuffer = Buffer.alloc(0);
      cpuBuffer = Buffer.alloc(0);
    },
  };
}

const PROCESSOR_ENTRY_BYTES = 0x30;

// Windows collector, parsing step: pure functions over the raw buffers that
// NtQuerySystemInformation(SystemProcessInformation = 5) and
// NtQuerySystemInformation(SystemProcessorPerformanceInformation = 8) fill. No I/O, no koffi:
// the bindings (bindings.win32.ts) hand these functions bytes, and the tests hand them fixture
// buffers laid out exactly as x64 Windows lays them out (test/fixtures/win32/spi-builder.ts).
//
// Layouts (x64, natural alignment; from phnt ntexapi.h and the Windows SDK winternl.h, which
// agree on every offset below; the SDK names most of them Reserved*):
//
// SYSTEM_PROCESS_INFORMATION (0x100 bytes, then NumberOfThreads x SYSTEM_THREAD_INFORMATION)
//   0x00 ULONG NextEntryOffset            0x80 ULONG PageFaultCount (+4 pad)
//   0x04 ULONG NumberOfThreads            0x88 SIZE_T PeakWorkingSetSize
//   0x08 LARGE_INTEGER WorkingSetPrivateSize 0x90 SIZE_T WorkingSetSize
//   0x10 ULONG HardFaultCount             0x98 SIZE_T QuotaPeakPagedPoolUsage
//   0x14 ULONG NumberOfThreadsHighWatermark 0xA0 SIZE_T QuotaPagedPoolUsage
//   0x18 ULONGLONG CycleTime              0xA8 SIZE_T QuotaPeakNonPagedPoolUsage
//   0x20 LARGE_INTEGER CreateTime         0xB0 SIZE_T QuotaNonPagedPoolUsage
//   0x28 LARGE_INTEGER UserTime           0xB8 SIZE_T PagefileUsage
//   0x30 LARGE_INTEGER KernelTime         0xC0 SIZE_T PeakPagefileUsage
//   0x38 UNICODE_STRING ImageName:        0xC8 SIZE_T PrivatePageCount (bytes, despite the name)
//        0x38 USHORT Length (bytes)       0xD0 LARGE_INTEGER ReadOperationCount
//        0x3A USHORT MaximumLength        0xD8 LARGE_INTEGER WriteOperationCount
//        0x40 PWSTR Buffer                0xE0 LARGE_INTEGER OtherOperationCount
//   0x48 KPRIORITY BasePriority (LONG)    0xE8 LARGE_INTEGER ReadTransferCount
//   0x50 HANDLE UniqueProcessId           0xF0 LARGE_INTEGER WriteTransferCount
//   0x58 HANDLE InheritedFromUniqueProcessId 0xF8 LARGE_INTEGER OtherTransferCount
//   0x60 ULONG HandleCount                0x100 SYSTEM_THREAD_INFORMATION Threads[]
//   0x64 ULONG SessionId
//   0x68 ULONG_PTR UniqueProcessKey
//   0x70 SIZE_T PeakVirtualSize
//   0x78 SIZE_T VirtualSize
//
// SYSTEM_THREAD_INFORMATION (0x50 bytes)
//   0x00 KernelTime, 0x08 UserTime, 0x10 CreateTime (LARGE_INTEGER), 0x18 ULONG WaitTime,
//   0x20 PVOID StartAddress, 0x28 CLIENT_ID {UniqueProcess, UniqueThread}, 0x38 LONG Priority,
//   0x3C LONG BasePriority, 0x40 ULONG ContextSwitches, 0x44 ULONG ThreadState (KTHREAD_STATE),
//   0x48 ULONG WaitReason (KWAIT_REASON), 0x4C pad.
//
// SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION (0x30 bytes, one per logical processor)
//   0x00 IdleTime, 0x08 KernelTime (includes idle), 0x10 UserTime, 0x18 DpcTime,
//   0x20 InterruptTime (LARGE_INTEGER, 100 ns units), 0x28 ULONG InterruptCount, 0x2C pad.
//
// The ImageName.Buffer pointer is an absolute address. The kernel writes the names into the
// same buffer it fills, so the string's offset is (pointer - address of the buffer); the caller
// passes that base address in.

export const SPI = {
  headerBytes: 0x100,
  threadBytes: 0x50,
  nextEntryOffset: 0x00,
  numberOfThreads: 0x04,
  workingSetPrivateSize: 0x08,
  hardFaultCount: 0x10,
  cycleTime: 0x18,
  createTime: 0x20,
  userTime: 0x28,
  kernelTime: 0x30,
  imageNameLength: 0x38,
  imageNameMaximumLength: 0x3a,
  imageNameBuffer: 0x40,
  basePriority: 0x48,
  uniqueProcessId: 0x50,
  inheritedFromUniqueProcessId: 0x58,
  handleCount: 0x60,
  sessionId: 0x64,
  peakVirtualSize: 0x70,
  virtualSize: 0x78,
  pageFaultCount: 0x80,
  peakWorkingSetSize: 0x88,
  workingSetSize: 0x90,
  pagefileUsage: 0xb8,
  privatePageCount: 0xc8,
  readOperationCount: 0xd0,
  writeOperationCount: 0xd8,
  otherOperationCount: 0xe0,
  readTransferCount: 0xe8,
  writeTransferCount: 0xf0,
  otherTransferCount: 0xf8,
  thread: {
    kernelTime: 0x00,
    userTime: 0x08,
    createTime: 0x10,
    waitTime: 0x18,
    startAddress: 0x20,
    uniqueProcess: 0x28,
    uniqueThread: 0x30,
    priority: 0x38,
    basePriority: 0x3c,
    contextSwitches: 0x40,
    threadState: 0x44,
    waitReason: 0x48,
  },
} as const;

export const PROCESSOR_PERFORMANCE = {
  entryBytes: 0x30,
  idleTime: 0x00,
  kernelTime: 0x08,
  userTime: 0x10,
  dpcTime: 0x18,
  interruptTime: 0x20,
  interruptCount: 0x28,
} as const;

/** KTHREAD_STATE values we look at. */
export const THREAD_STATE = { running: 2, waiting: 5 } as const;
/** KWAIT_REASON Suspended. */
export const WAIT_REASON_SUSPENDED = 5;

/** Raw counters for one process, exactly as the kernel reports them (times in 100 ns units). */
export interface Win32RawProcess {
  pid: number;
  ppid: number;
  /** Image name ("chrome.exe"); '' for the idle process or when the name pointer was unusable. */
  name: string;
  /** True when ImageName.Buffer pointed outside the buffer (a broken or foreign buffer). */
  nameOutOfRange: boolean;
  threadCount: number;
  /** CreateTime FILETIME (100 ns since 1601-01-01 UTC): the identity start value. */
  createTime: bigint;
  userTime100ns: bigint;
  kernelTime100ns: bigint;
  cycleTime: bigint;
  basePriority: number;
  handleCount: number;
  sessionId: number;
  virtualSizeBytes: number;
  workingSetBytes: number;
  workingSetPrivateBytes: number;
  privateBytes: number;
  pagefileUsageBytes: number;
  pageFaultCount: number;
  hardFaultCount: number;
  readOperationCount: bigint;
  writeOperationCount: bigint;
  otherOperationCount: bigint;
  readTransferBytes: bigint;
  writeTransferBytes: bigint;
  otherTransferBytes: bigint;
  /** Sum of the threads' ContextSwitches (each a 32-bit counter). */
  contextSwitches: number;
  /** Threads in KTHREAD_STATE Running. */
  runningThreads: number;
  /** Threads waiting with reason Suspended. */
  suspendedThreads: number;
}

export type SpiParseResult =
  | { ok: true; processes: Win32RawProcess[] }
  | { ok: false; error: string; processes: Win32RawProcess[] };

const MAX_RECORDS = 1_000_000;

function u64(view: DataView, offset: number): bigint {
  return view.getBigUint64(offset, true);
}
/** SIZE_T as a JS number (exact below 2^53 bytes = 8 PiB). */
function size(view: DataView, offset: number): number {
  return Number(view.getBigUint64(offset, true));
}

function asView(bytes: ArrayBuffer | ArrayBufferView): DataView {
  if (bytes instanceof ArrayBuffer) return new DataView(bytes);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Parse a SystemProcessInformation buffer: follow the NextEntryOffset chain from offset 0.
 * `byteLength` is the ReturnLength the call reported (defaults to the whole buffer);
 * `baseAddress` is the address of byte 0 of the buffer at the time of the call.
 * A record that would run past the end stops the walk with `ok: false` and keeps what was read.
 */
export function parseSystemProcessInformation(
  bytes: ArrayBuffer | ArrayBufferView,
  baseAddress: bigint,
  byteLength?: number,
): SpiParseResult {
  const view = asView(bytes);
  const length = Math.min(byteLength ?? view.byteLength, view.byteLength);
  const processes: Win32RawProcess[] = [];
  let offset = 0;
  for (let n = 0; n < MAX_RECORDS; n++) {
    if (offset + SPI.headerBytes > length) {
      return { ok: false, error: `record at ${offset} runs past the ${length}-byte buffer`, processes };
    }
    const next = view.getUint32(offset + SPI.nextEntryOffset, true);
    const threadCount = view.getUint32(offset + SPI.numberOfThreads, true);
    const threadsEnd = offset + SPI.headerBytes + threadCount * SPI.threadBytes;
    if (threadsEnd > length) {
      return { ok: false, error: `threads of record at ${offset} run past the buffer`, processes };
    }
    processes.push(parseRecord(view, offset, threadCount, baseAddress, length));
    if (next === 0) return { ok: true, processes };
    if (next < SPI.headerBytes) {
      return { ok: false, error: `NextEntryOffset ${next} at ${offset} is smaller than a record`, processes };
    }
    offset += next;
  }
  return { ok: false, error: 'too many records', processes };
}

function parseRecord(
  view: DataView,
  at: number,
  threadCount: number,
  baseAddress: bigint,
  length: number,
): Win32RawProcess {
  const nameBytes = view.getUint16(at + SPI.imageNameLength, true);
  const namePtr = u64(view, at + SPI.imageNameBuffer);
  let name = '';
  let nameOutOfRange = false;
  if (namePtr !== 0n && nameBytes > 0) {
    const rel = namePtr - baseAddress;
    if (rel < 0n || rel + BigInt(nameBytes) > BigInt(length) || nameBytes % 2 !== 0) {
      nameOutOfRange = true;
    } else {
      name = decodeUtf16le(view, Number(rel), nameBytes);
    }
  }
  let contextSwitches = 0;
  let runningThreads = 0;
  let suspendedThreads = 0;
  for (let t = 0; t < threadCount; t++) {
    const th = at + SPI.headerBytes + t * SPI.threadBytes;
    contextSwitches += view.getUint32(th + SPI.thread.contextSwitches, true);
    const state = view.getUint32(th + SPI.thread.threadState, true);
    if (state === THREAD_STATE.running) runningThreads++;
    else if (state === THREAD_STATE.waiting && view.getUint32(th + SPI.thread.waitReason, true) === WAIT_REASON_SUSPENDED) {
      suspendedThreads++;
    }
  }
  return {
    pid: size(view, at + SPI.uniqueProcessId),
    ppid: size(view, at + SPI.inheritedFromUniqueProcessId),
    name,
    nameOutOfRange,
    threadCount,
    createTime: view.getBigInt64(at + SPI.createTime, true),
    userTime100ns: view.getBigInt64(at + SPI.userTime, true),
    kernelTime100ns: view.getBigInt64(at + SPI.kernelTime, true),
    cycleTime: u64(view, at + SPI.cycleTime),
    basePriority: view.getInt32(at + SPI.basePriority, true),
    handleCount: view.getUint32(at + SPI.handleCount, true),
    sessionId: view.getUint32(at + SPI.sessionId, true),
    virtualSizeBytes: size(view, at + SPI.virtualSize),
    workingSetBytes: size(view, at + SPI.workingSetSize),
    workingSetPrivateBytes: Number(view.getBigInt64(at + SPI.workingSetPrivateSize, true)),
    privateBytes: size(view, at + SPI.privatePageCount),
    pagefileUsageBytes: size(view, at + SPI.pagefileUsage),
    pageFaultCount: view.getUint32(at + SPI.pageFaultCount, true),
    hardFaultCount: view.getUint32(at + SPI.hardFaultCount, true),
    readOperationCount: u64(view, at + SPI.readOperationCount),
    writeOperationCount: u64(view, at + SPI.writeOperationCount),
    otherOperationCount: u64(view, at + SPI.otherOperationCount),
    readTransferBytes: u64(view, at + SPI.readTransferCount),
    writeTransferBytes: u64(view, at + SPI.writeTransferCount),
    otherTransferBytes: u64(view, at + SPI.otherTransferCount),
    contextSwitches,
    runningThreads,
    suspendedThreads,
  };
}

function decodeUtf16le(view: DataView, offset: number, byteCount: number): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + offset, byteCount);
  return new TextDecoder('utf-16le').decode(bytes);
}

/** One logical processor's cumulative times, 100 ns units (kernel includes idle). */
export interface Win32ProcessorTimes {
  idle100ns: bigint;
  kernel100ns: bigint;
  user100ns: bigint;
  dpc100ns: bigint;
  interrupt100ns: bigint;
}

/** Parse an array of SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION (ReturnLength / 0x30 entries). */
export function parseProcessorPerformance(bytes: ArrayBuffer | ArrayBufferView, byteLength?: number): Win32ProcessorTimes[] {
  const view = asView(bytes);
  const length = Math.min(byteLength ?? view.byteLength, view.byteLength);
  const count = Math.floor(length / PROCESSOR_PERFORMANCE.entryBytes);
  const out: Win32ProcessorTimes[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * PROCESSOR_PERFORMANCE.entryBytes;
    out.push({
      idle100ns: view.getBigInt64(at + PROCESSOR_PERFORMANCE.idleTime, true),
      kernel100ns: view.getBigInt64(at + PROCESSOR_PERFORMANCE.kernelTime, true),
      user100ns: view.getBigInt64(at + PROCESSOR_PERFORMANCE.userTime, true),
      dpc100ns: view.getBigInt64(at + PROCESSOR_PERFORMANCE.dpcTime, true),
      interrupt100ns: view.getBigInt64(at + PROCESSOR_PERFORMANCE.interruptTime, true),
    });
  }
  return out;
}

export type Win32PriorityClass = 'idle' | 'below-normal' | 'normal' | 'above-normal' | 'high' | 'realtime';

/**
 * Priority class from a process's base priority. The classes' base priorities are
 * IDLE 4, BELOW_NORMAL 6, NORMAL 8, ABOVE_NORMAL 10, HIGH 13, REALTIME 24; values in between
 * (a process that set its own base priority) go to the nearest class at or below.
 */
export function priorityClassFromBasePriority(basePriority: number): Win32PriorityClass {
  if (basePriority >= 16) return 'realtime';
  if (basePriority >= 13) return 'high';
  if (basePriority >= 10) return 'above-normal';
  if (basePriority >= 8) return 'normal';
  if (basePriority >= 6) return 'below-normal';
  return 'idle';
}

/** The nice value the rest of Allot reasons with, for each Windows priority class. */
export function niceFromPriorityClass(priorityClass: Win32PriorityClass): number {
  switch (priorityClass) {
    case 'idle':
      return 19;
    case 'below-normal':
      return 10;
    case 'normal':
      return 0;
    case 'above-normal':
      return -5;
    case 'high':
      return -10;
    case 'realtime':
      return -20;
  }
}

/** FILETIME of 1970-01-01T00:00:00Z. */
export const FILETIME_UNIX_EPOCH = 116_444_736_000_000_000n;

/** FILETIME (100 ns since 1601) -> epoch ms; 0 for times before 1970 (e.g. the System process's 0). */
export function fileTimeToEpochMs(fileTime: bigint): number {
  if (fileTime <= FILETIME_UNIX_EPOCH) return 0;
  return Number((fileTime - FILETIME_UNIX_EPOCH) / 10_000n);
}

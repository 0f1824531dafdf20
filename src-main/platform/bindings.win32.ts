// Windows actuation bindings through koffi: kernel32 (OpenProcess, GetProcessTimes,
// GetExitCodeProcess, WaitForSingleObject, Get/SetPriorityClass, Get/SetProcessAffinityMask,
// Get/SetProcessInformation(ProcessPowerThrottling), Get/SetProcessWorkingSetSizeEx,
// TerminateProcess, job objects, QueryFullProcessImageNameW, GetActiveProcessorCount),
// ntdll (NtQueryInformationProcess / NtSetInformationProcess(ProcessIoPriority), NtSuspendProcess,
// NtResumeProcess, RtlNtStatusToDosError, and the SystemProcessInformation snapshot the monitor
// already reads), user32 (EnumWindows, GetWindowThreadProcessId, IsWindowVisible, PostMessageW)
// and advapi32 (token elevation).
//
// koffi is imported lazily inside `loadWin32ActuationApi()`, which refuses to run anywhere but
// win32. The adapter only ever sees the `Win32ActuationApi` interface, so tests implement it with
// a fake OS (test/main/platform/adapter.win32.test.ts). Every method returns a result with the
// Win32 error code (GetLastError, or RtlNtStatusToDosError of the NTSTATUS) and never throws.
import { importKoffi } from '../native/koffi';
import { parseSystemProcessInformation, type Win32RawProcess } from '../monitor/spi.win32';

/** An open kernel handle (process or job). Opaque: only the bindings look inside. */
export type Win32Handle = { readonly __win32Handle: true };
/** A top-level window handle. */
export type Win32Window = { readonly __win32Window: true };

export type WinResult<T> = { ok: true; value: T } | { ok: false; error: number };

/** The slice of one SystemProcessInformation record the adapter needs (all processes, any user). */
export type Win32ProcessEntry = Pick<Win32RawProcess, 'pid' | 'ppid' | 'name' | 'createTime' | 'threadCount' | 'suspendedThreads' | 'basePriority'>;

export interface PowerThrottlingState {
  controlMask: number;
  stateMask: number;
}
export interface JobCpuRate {
  /** JOB_OBJECT_CPU_RATE_CONTROL_* flags. */
  controlFlags: number;
  /** Cycles per 10,000 of the whole machine (1/100 of a percent). */
  cpuRate: number;
}
export interface WorkingSetSize {
  minimumBytes: number;
  maximumBytes: number;
  /** QUOTA_LIMITS_HARDWS_* flags. */
  flags: number;
}

export interface Win32ActuationApi {
  openProcess(pid: number, desiredAccess: number): WinResult<Win32Handle>;
  closeHandle(handle: Win32Handle): void;
  /** GetProcessTimes: the creation FILETIME (100 ns since 1601), the identity start value. */
  processCreationTime(process: Win32Handle): WinResult<bigint>;
  /** GetExitCodeProcess: STILL_ACTIVE (259) while running. */
  exitCode(process: Win32Handle): WinResult<number>;
  /** WaitForSingleObject(process, 0) === WAIT_OBJECT_0 (needs SYNCHRONIZE). */
  hasExited(process: Win32Handle): WinResult<boolean>;
  getPriorityClass(process: Win32Handle): WinResult<number>;
  setPriorityClass(process: Win32Handle, priorityClass: number): WinResult<void>;
  getProcessAffinityMask(process: Win32Handle): WinResult<{ processMask: bigint; systemMask: bigint }>;
  setProcessAffinityMask(process: Win32Handle, mask: bigint): WinResult<void>;
  /** NtQueryInformationProcess(ProcessIoPriority): an IO_PRIORITY_HINT. */
  getIoPriority(process: Win32Handle): WinResult<number>;
  setIoPriority(process: Win32Handle, hint: number): WinResult<void>;
  /** GetProcessInformation(ProcessPowerThrottling). */
  getPowerThrottling(process: Win32Handle): WinResult<PowerThrottlingState>;
  setPowerThrottling(process: Win32Handle, state: PowerThrottlingState): WinResult<void>;
  getWorkingSetSize(process: Win32Handle): WinResult<WorkingSetSize>;
  setWorkingSetSize(process: Win32Handle, size: WorkingSetSize): WinResult<void>;
  suspendProcess(process: Win32Handle): WinResult<void>;
  resumeProcess(process: Win32Handle): WinResult<void>;
  terminateProcess(process: Win32Handle, exitCode: number): WinResult<void>;
  /** EnumWindows filtered by GetWindowThreadProcessId: the process's top-level windows. */
  topLevelWindows(pid: number): Array<{ window: Win32Window; visible: boolean }>;
  postMessage(window: Win32Window, message: number): WinResult<void>;
  createJobObject(): WinResult<Win32Handle>;
  assignProcessToJobObject(job: Win32Handle, process: Win32Handle): WinResult<void>;
  /** QueryInformationJobObject(JobObjectCpuRateControlInformation). */
  getJobCpuRate(job: Win32Handle): WinResult<JobCpuRate>;
  setJobCpuRate(job: Win32Handle, rate: JobCpuRate): WinResult<void>;
  /** QueryFullProcessImageNameW. */
  imagePath(process: Win32Handle): string | undefined;
  /** Every process (NtQuerySystemInformation(SystemProcessInformation)). */
  processes(): WinResult<Win32ProcessEntry[]>;
  /** GetActiveProcessorCount(ALL_PROCESSOR_GROUPS). */
  logicalProcessorCount(): number;
  /** GetActiveProcessorGroupCount. */
  processorGroupCount(): number;
  /** TokenElevation of this process. */
  isElevated(): boolean;
  close(): void;
}

export const ACCESS = {
  PROCESS_TERMINATE: 0x0001,
  PROCESS_SET_QUOTA: 0x0100,
  PROCESS_SET_INFORMATION: 0x0200,
  PROCESS_QUERY_INFORMATION: 0x0400,
  PROCESS_SUSPEND_RESUME: 0x0800,
  PROCESS_QUERY_LIMITED_INFORMATION: 0x1000,
  SYNCHRONIZE: 0x0010_0000,
} as const;

export const PRIORITY_CLASS = {
  IDLE: 0x40,
  BELOW_NORMAL: 0x4000,
  NORMAL: 0x20,
  ABOVE_NORMAL: 0x8000,
  HIGH: 0x80,
  REALTIME: 0x100,
} as const;

/** IO_PRIORITY_HINT. */
export const IO_PRIORITY = { VERY_LOW: 0, LOW: 1, NORMAL: 2, HIGH: 3, CRITICAL: 4 } as const;

export const PROCESS_POWER_THROTTLING_EXECUTION_SPEED = 0x1;
export const JOB_OBJECT_CPU_RATE_CONTROL_ENABLE = 0x1;
export const JOB_OBJECT_CPU_RATE_CONTROL_HARD_CAP = 0x4;
export const QUOTA_LIMITS = { HARDWS_MIN_ENABLE: 0x1, HARDWS_MIN_DISABLE: 0x2, HARDWS_MAX_ENABLE: 0x4, HARDWS_MAX_DISABLE: 0x8 } as const;
export const STILL_ACTIVE = 259;
export const WM_CLOSE = 0x0010;

export const WIN32_ERROR = {
  ACCESS_DENIED: 5,
  INVALID_HANDLE: 6,
  INVALID_PARAMETER: 87,
  NOT_SUPPORTED: 50,
  PRIVILEGE_NOT_HELD: 1314,
} as const;

const ProcessIoPriority = 33;
const ProcessPowerThrottling = 4;
const JobObjectCpuRateControlInformation = 15;
const ALL_PROCESSOR_GROUPS = 0xffff;
const WAIT_OBJECT_0 = 0;
const WAIT_TIMEOUT = 0x102;

/**
 * Load the real Windows API. Throws (with a clear message) anywhere but win32 or when koffi or a DLL
 * cannot load; createPlatformAdapter then falls back to an adapter that refuses everything with why.
 */
export async function loadWin32ActuationApi(): Promise<Win32ActuationApi> {
  if (process.platform !== 'win32') {
    throw new Error(`loadWin32ActuationApi: needs win32, this is ${process.platform}`);
  }
  const koffi = await importKoffi();
  const { loadWin32ProcessApi } = await import('../monitor/bindings.win32');
  const spi = await loadWin32ProcessApi();

  const kernel32 = koffi.load('kernel32.dll');
  const ntdll = koffi.load('ntdll.dll');
  const user32 = koffi.load('user32.dll');
  const advapi32 = koffi.load('advapi32.dll');

  const GetLastError = kernel32.func('uint32_t __stdcall GetLastError()');
  const OpenProcess = kernel32.func('void * __stdcall OpenProcess(uint32_t access, bool inherit, uint32_t pid)');
  const CloseHandle = kernel32.func('bool __stdcall CloseHandle(void *h)');
  const GetCurrentProcess = kernel32.func('void * __stdcall GetCurrentProcess()');
  const GetProcessTimes = kernel32.func('bool __stdcall GetProcessTimes(void *h, _Out_ uint64_t *creation, _Out_ uint64_t *exit, _Out_ uint64_t *kernel, _Out_ uint64_t *user)');
  const GetExitCodeProcess = kernel32.func('bool __stdcall GetExitCodeProcess(void *h, _Out_ uint32_t *code)');
  const WaitForSingleObject = kernel32.func('uint32_t __stdcall WaitForSingleObject(void *h, uint32_t ms)');
  const GetPriorityClass = kernel32.func('uint32_t __stdcall GetPriorityClass(void *h)');
  const SetPriorityClass = kernel32.func('bool __stdcall SetPriorityClass(void *h, uint32_t cls)');
  const GetProcessAffinityMask = kernel32.func('bool __stdcall GetProcessAffinityMask(void *h, _Out_ uint64_t *process, _Out_ uint64_t *system)');
  const SetProcessAffinityMask = kernel32.func('bool __stdcall SetProcessAffinityMask(void *h, uintptr_t mask)');
  const GetProcessInformation = kernel32.func('bool __stdcall GetProcessInformation(void *h, int cls, _Out_ uint8_t *info, uint32_t size)');
  const SetProcessInformation = kernel32.func('bool __stdcall SetProcessInformation(void *h, int cls, uint8_t *info, uint32_t size)');
  const GetProcessWorkingSetSizeEx = kernel32.func('bool __stdcall GetProcessWorkingSetSizeEx(void *h, _Out_ uint64_t *min, _Out_ uint64_t *max, _Out_ uint32_t *flags)');
  const SetProcessWorkingSetSizeEx = kernel32.func('bool __stdcall SetProcessWorkingSetSizeEx(void *h, uintptr_t min, uintptr_t max, uint32_t flags)');
  const TerminateProcess = kernel32.func('bool __stdcall TerminateProcess(void *h, uint32_t code)');
  const CreateJobObjectW = kernel32.func('void * __stdcall CreateJobObjectW(void *attributes, void *name)');
  const AssignProcessToJobObject = kernel32.func('bool __stdcall AssignProcessToJobObject(void *job, void *process)');
  const QueryInformationJobObject = kernel32.func('bool __stdcall QueryInformationJobObject(void *job, int cls, _Out_ uint8_t *info, uint32_t size, void *returned)');
  const SetInformationJobObject = kernel32.func('bool __stdcall SetInformationJobObject(void *job, int cls, uint8_t *info, uint32_t size)');
  const QueryFullProcessImageNameW = kernel32.func('bool __stdcall QueryFullProcessImageNameW(void *h, uint32_t flags, _Out_ uint16_t *name, _Inout_ uint32_t *size)');
  const GetActiveProcessorCount = kernel32.func('uint32_t __stdcall GetActiveProcessorCount(uint16_t group)');
  const GetActiveProcessorGroupCount = kernel32.func('uint16_t __stdcall GetActiveProcessorGroupCount()');
  const NtQueryInformationProcess = ntdll.func('int32_t __stdcall NtQueryInformationProcess(void *h, int cls, _Out_ uint8_t *info, uint32_t size, void *returned)');
  const NtSetInformationProcess = ntdll.func('int32_t __stdcall NtSetInformationProcess(void *h, int cls, uint8_t *info, uint32_t size)');
  const NtSuspendProcess = ntdll.func('int32_t __stdcall NtSuspendProcess(void *h)');
  const NtResumeProcess = ntdll.func('int32_t __stdcall NtResumeProcess(void *h)');
  const RtlNtStatusToDosError = ntdll.func('uint32_t __stdcall RtlNtStatusToDosError(int32_t status)');
  const EnumWindowsProc = koffi.proto('bool __stdcall AllotEnumWindowsProc(void *hwnd, intptr_t lparam)');
  const EnumWindows = user32.func('EnumWindows', 'bool', [koffi.pointer(EnumWindowsProc), 'intptr_t']);
  const GetWindowThreadProcessId = user32.func('uint32_t __stdcall GetWindowThreadProcessId(void *hwnd, _Out_ uint32_t *pid)');
  const IsWindowVisible = user32.func('bool __stdcall IsWindowVisible(void *hwnd)');
  const PostMessageW = user32.func('bool __stdcall PostMessageW(void *hwnd, uint32_t msg, uintptr_t wparam, intptr_t lparam)');
  const OpenProcessToken = advapi32.func('bool __stdcall OpenProcessToken(void *process, uint32_t access, _Out_ void **token)');
  const GetTokenInformation = advapi32.func('bool __stdcall GetTokenInformation(void *token, int cls, _Out_ uint32_t *info, uint32_t size, _Out_ uint32_t *returned)');

  const fail = <T>(): WinResult<T> => ({ ok: false, error: (GetLastError() as number) || 31 /* ERROR_GEN_FAILURE */ });
  const ok = <T>(value: T): WinResult<T> => ({ ok: true, value });
  const okIf = (success: unknown): WinResult<void> => (success ? ok(undefined) : fail());
  const nt = (status: number): WinResult<void> => (status >= 0 ? ok(undefined) : { ok: false, error: RtlNtStatusToDosError(status) as number });
  const h = (handle: Win32Handle): unknown => handle;

  return {
    openProcess(pid, access) {
      const handle = OpenProcess(access, false, pid) as unknown;
      return handle ? ok(handle as Win32Handle) : fail();
    },
    closeHandle: (handle) => void CloseHandle(h(handle)),
    processCreationTime(process) {
      const creation = [0n];
      const dummy = [0n];
      if (!GetProcessTimes(h(process), creation, [0n], dummy, [0n])) return fail();
      return ok(BigInt(creation[0] ?? 0));
    },
    exitCode(process) {
      const code = [0];
      return GetExitCodeProcess(h(process), code) ? ok(code[0] ?? 0) : fail();
    },
    hasExited(process) {
      const r = WaitForSingleObject(h(process), 0) as number;
      if (r === WAIT_OBJECT_0) return ok(true);
      if (r === WAIT_TIMEOUT) return ok(false);
      return fail();
    },
    getPriorityClass(process) {
      const cls = GetPriorityClass(h(process)) as number;
      return cls ? ok(cls) : fail();
    },
    setPriorityClass: (process, cls) => okIf(SetPriorityClass(h(process), cls)),
    getProcessAffinityMask(process) {
      const p = [0n];
      const s = [0n];
      if (!GetProcessAffinityMask(h(process), p, s)) return fail();
      return ok({ processMask: BigInt(p[0] ?? 0), systemMask: BigInt(s[0] ?? 0) });
    },
    setProcessAffinityMask: (process, mask) => okIf(SetProcessAffinityMask(h(process), mask)),
    getIoPriority(process) {
      const buf = Buffer.alloc(4);
      const status = NtQueryInformationProcess(h(process), ProcessIoPriority, buf, 4, null) as number;
      return status >= 0 ? ok(buf.readUInt32LE(0)) : { ok: false, error: RtlNtStatusToDosError(status) as number };
    },
    setIoPriority(process, hint) {
      const buf = Buffer.alloc(4);
      buf.writeUInt32LE(hint, 0);
      return nt(NtSetInformationProcess(h(process), ProcessIoPriority, buf, 4) as number);
    },
    getPowerThrottling(process) {
      const buf = Buffer.alloc(12);
      buf.writeUInt32LE(1, 0); // PROCESS_POWER_THROTTLING_CURRENT_VERSION
      if (!GetProcessInformation(h(process), ProcessPowerThrottling, buf, 12)) return fail();
      return ok({ controlMask: buf.readUInt32LE(4), stateMask: buf.readUInt32LE(8) });
    },
    setPowerThrottling(process, state) {
      const buf = Buffer.alloc(12);
      buf.writeUInt32LE(1, 0);
      buf.writeUInt32LE(state.controlMask, 4);
      buf.writeUInt32LE(state.stateMask, 8);
      return okIf(SetProcessInformation(h(process), ProcessPowerThrottling, buf, 12));
    },
    getWorkingSetSize(process) {
      const min = [0n];
      const max = [0n];
      const flags = [0];
      if (!GetProcessWorkingSetSizeEx(h(process), min, max, flags)) return fail();
      return ok({ minimumBytes: Number(min[0] ?? 0), maximumBytes: Number(max[0] ?? 0), flags: flags[0] ?? 0 });
    },
    setWorkingSetSize: (process, size) =>
      okIf(SetProcessWorkingSetSizeEx(h(process), BigInt(size.minimumBytes), BigInt(size.maximumBytes), size.flags)),
    suspendProcess: (process) => nt(NtSuspendProcess(h(process)) as number),
    resumeProcess: (process) => nt(NtResumeProcess(h(process)) as number),
    terminateProcess: (process, code) => okIf(TerminateProcess(h(process), code)),
    topLevelWindows(pid) {
      const found: Array<{ window: Win32Window; visible: boolean }> = [];
      const owner = [0];
      EnumWindows((hwnd: unknown) => {
        GetWindowThreadProcessId(hwnd, owner);
        if (owner[0] === pid) found.push({ window: hwnd as Win32Window, visible: Boolean(IsWindowVisible(hwnd)) });
        return true;
      }, 0);
      return found;
    },
    postMessage: (window, message) => okIf(PostMessageW(window, message, 0, 0)),
    createJobObject() {
      const job = CreateJobObjectW(null, null) as unknown;
      return job ? ok(job as Win32Handle) : fail();
    },
    assignProcessToJobObject: (job, process) => okIf(AssignProcessToJobObject(h(job), h(process))),
    getJobCpuRate(job) {
      const buf = Buffer.alloc(8);
      if (!QueryInformationJobObject(h(job), JobObjectCpuRateControlInformation, buf, 8, null)) return fail();
      return ok({ controlFlags: buf.readUInt32LE(0), cpuRate: buf.readUInt32LE(4) });
    },
    setJobCpuRate(job, rate) {
      const buf = Buffer.alloc(8);
      buf.writeUInt32LE(rate.controlFlags, 0);
      buf.writeUInt32LE(rate.cpuRate, 4);
      return okIf(SetInformationJobObject(h(job), JobObjectCpuRateControlInformation, buf, 8));
    },
    imagePath(process) {
      const name = new Uint16Array(32_768);
      const size = [name.length];
      if (!QueryFullProcessImageNameW(h(process), 0, name, size)) return undefined;
      return Buffer.from(name.buffer, 0, (size[0] ?? 0) * 2).toString('utf16le');
    },
    processes() {
      try {
        const raw = spi.querySystemProcessInformation();
        const parsed = parseSystemProcessInformation(raw.bytes, raw.baseAddress, raw.byteLength);
        return ok(parsed.processes);
      } catch {
        return { ok: false, error: 31 };
      }
    },
    logicalProcessorCount: () => GetActiveProcessorCount(ALL_PROCESSOR_GROUPS) as number,
    processorGroupCount: () => GetActiveProcessorGroupCount() as number,
    isElevated() {
      const token = [null as unknown];
      if (!OpenProcessToken(GetCurrentProcess(), 0x0008 /* TOKEN_QUERY */, token)) return false;
      const elevation = [0];
      const ok2 = GetTokenInformation(token[0], 20 /* TokenElevation */, elevation, 4, [0]);
      CloseHandle(token[0]);
      return Boolean(ok2) && (elevation[0] ?? 0) !== 0;
    },
    close() {
      spi.close();
    },
  };
}

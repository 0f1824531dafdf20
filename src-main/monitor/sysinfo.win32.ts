// Windows collector, system-memory structs: pure parsers for the buffers kernel32
// GlobalMemoryStatusEx and K32GetPerformanceInfo fill (layouts from the Windows SDK, x64).
//
// MEMORYSTATUSEX (64 bytes, sysinfoapi.h)
//   0 DWORD dwLength (must be set to 64 before the call)   4 DWORD dwMemoryLoad (%)
//   8 ullTotalPhys  16 ullAvailPhys  24 ullTotalPageFile (commit limit)  32 ullAvailPageFile
//   40 ullTotalVirtual  48 ullAvailVirtual  56 ullAvailExtendedVirtual   (DWORDLONG, bytes)
//
// PERFORMANCE_INFORMATION (104 bytes, psapi.h; SIZE_T counts are pages)
//   0 DWORD cb (+4 pad)  8 CommitTotal  16 CommitLimit  24 CommitPeak  32 PhysicalTotal
//   40 PhysicalAvailable  48 SystemCache  56 KernelTotal  64 KernelPaged  72 KernelNonpaged
//   80 PageSize (bytes)  88 DWORD HandleCount  92 DWORD ProcessCount  96 DWORD ThreadCount (+4 pad)

export const MEMORYSTATUSEX = {
  sizeBytes: 64,
  dwLength: 0,
  dwMemoryLoad: 4,
  ullTotalPhys: 8,
  ullAvailPhys: 16,
  ullTotalPageFile: 24,
  ullAvailPageFile: 32,
  ullTotalVirtual: 40,
  ullAvailVirtual: 48,
} as const;

export const PERFORMANCE_INFORMATION = {
  sizeBytes: 104,
  commitTotal: 8,
  commitLimit: 16,
  commitPeak: 24,
  physicalTotal: 32,
  physicalAvailable: 40,
  systemCache: 48,
  kernelTotal: 56,
  kernelPaged: 64,
  kernelNonpaged: 72,
  pageSize: 80,
  handleCount: 88,
  processCount: 92,
  threadCount: 96,
} as const;

export interface MemoryStatusEx {
  memoryLoadPercent: number;
  totalPhysBytes: number;
  availPhysBytes: number;
  /** Commit limit: physical memory plus page files. */
  totalPageFileBytes: number;
  availPageFileBytes: number;
}

export interface PerformanceInformation {
  commitTotalBytes: number;
  commitLimitBytes: number;
  physicalTotalBytes: number;
  physicalAvailableBytes: number;
  systemCacheBytes: number;
  kernelTotalBytes: number;
  pageSizeBytes: number;
  handleCount: number;
  processCount: number;
  threadCount: number;
}

function view(bytes: ArrayBuffer | ArrayBufferView): DataView {
  if (bytes instanceof ArrayBuffer) return new DataView(bytes);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function parseMemoryStatusEx(bytes: ArrayBuffer | ArrayBufferView): MemoryStatusEx {
  const v = view(bytes);
  if (v.byteLength < MEMORYSTATUSEX.sizeBytes) throw new Error(`MEMORYSTATUSEX needs 64 bytes, got ${v.byteLength}`);
  const u64 = (o: number) => Number(v.getBigUint64(o, true));
  return {
    memoryLoadPercent: v.getUint32(MEMORYSTATUSEX.dwMemoryLoad, true),
    totalPhysBytes: u64(MEMORYSTATUSEX.ullTotalPhys),
    availPhysBytes: u64(MEMORYSTATUSEX.ullAvailPhys),
    totalPageFileBytes: u64(MEMORYSTATUSEX.ullTotalPageFile),
    availPageFileBytes: u64(MEMORYSTATUSEX.ullAvailPageFile),
  };
}

export function parsePerformanceInformation(bytes: ArrayBuffer | ArrayBufferView): PerformanceInformation {
  const v = view(bytes);
  if (v.byteLength < PERFORMANCE_INFORMATION.sizeBytes) {
    throw new Error(`PERFORMANCE_INFORMATION needs 104 bytes, got ${v.byteLength}`);
  }
  const P = PERFORMANCE_INFORMATION;
  const pageSizeBytes = Number(v.getBigUint64(P.pageSize, true));
  const pages = (o: number) => Number(v.getBigUint64(o, true)) * pageSizeBytes;
  return {
    commitTotalBytes: pages(P.commitTotal),
    commitLimitBytes: pages(P.commitLimit),
    physicalTotalBytes: pages(P.physicalTotal),
    physicalAvailableBytes: pages(P.physicalAvailable),
    systemCacheBytes: pages(P.systemCache),
    kernelTotalBytes: pages(P.kernelTotal),
    pageSizeBytes,
    handleCount: v.getUint32(P.handleCount, true),
    processCount: v.getUint32(P.processCount, true),
    threadCount: v.getUint32(P.threadCount, true),
  };
}

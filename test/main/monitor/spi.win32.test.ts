import * as koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { defineWin32Structs } from '../../../src-main/monitor/bindings.win32';
import {
  fileTimeToEpochMs,
  niceFromPriorityClass,
  parseProcessorPerformance,
  parseSystemProcessInformation,
  priorityClassFromBasePriority,
  PROCESSOR_PERFORMANCE,
  SPI,
} from '../../../src-main/monitor/spi.win32';
import {
  MEMORYSTATUSEX,
  PERFORMANCE_INFORMATION,
  parseMemoryStatusEx,
  parsePerformanceInformation,
} from '../../../src-main/monitor/sysinfo.win32';
import {
  buildMemoryStatusEx,
  buildPerformanceInformation,
  buildProcessorPerformanceBuffer,
  buildSpiBuffer,
} from '../../fixtures/win32/spi-builder';

// 2024-03-01T12:00:00.000Z as FILETIME
const CREATED = 116_444_736_000_000_000n + 1_709_294_400_000n * 10_000n;

describe('struct layouts (koffi applies the C rules to the same definitions)', () => {
  const s = defineWin32Structs(koffi);
  it('SYSTEM_PROCESS_INFORMATION offsets match the parser table', () => {
    const spi = s.SYSTEM_PROCESS_INFORMATION;
    expect(koffi.sizeof(spi)).toBe(SPI.headerBytes);
    const pairs: [string, number][] = [
      ['NumberOfThreads', SPI.numberOfThreads],
      ['WorkingSetPrivateSize', SPI.workingSetPrivateSize],
      ['HardFaultCount', SPI.hardFaultCount],
      ['CycleTime', SPI.cycleTime],
      ['CreateTime', SPI.createTime],
      ['UserTime', SPI.userTime],
      ['KernelTime', SPI.kernelTime],
      ['ImageName', SPI.imageNameLength],
      ['BasePriority', SPI.basePriority],
      ['UniqueProcessId', SPI.uniqueProcessId],
      ['InheritedFromUniqueProcessId', SPI.inheritedFromUniqueProcessId],
      ['HandleCount', SPI.handleCount],
      ['SessionId', SPI.sessionId],
      ['VirtualSize', SPI.virtualSize],
      ['PageFaultCount', SPI.pageFaultCount],
      ['WorkingSetSize', SPI.workingSetSize],
      ['PagefileUsage', SPI.pagefileUsage],
      ['PrivatePageCount', SPI.privatePageCount],
      ['ReadOperationCount', SPI.readOperationCount],
      ['WriteOperationCount', SPI.writeOperationCount],
      ['ReadTransferCount', SPI.readTransferCount],
      ['WriteTransferCount', SPI.writeTransferCount],
      ['OtherTransferCount', SPI.otherTransferCount],
    ];
    for (const [field, offset] of pairs) expect([field, koffi.offsetof(spi, field)]).toEqual([field, offset]);
    expect(koffi.offsetof(s.UNICODE_STRING, 'Buffer')).toBe(SPI.imageNameBuffer - SPI.imageNameLength);
  });
  it('SYSTEM_THREAD_INFORMATION, SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION, MEMORYSTATUSEX, PERFORMANCE_INFORMATION', () => {
    expect(koffi.sizeof(s.SYSTEM_THREAD_INFORMATION)).toBe(SPI.threadBytes);
    expect(koffi.offsetof(s.SYSTEM_THREAD_INFORMATION, 'ContextSwitches')).toBe(SPI.thread.contextSwitches);
    expect(koffi.offsetof(s.SYSTEM_THREAD_INFORMATION, 'ThreadState')).toBe(SPI.thread.threadState);
    expect(koffi.offsetof(s.SYSTEM_THREAD_INFORMATION, 'WaitReason')).toBe(SPI.thread.waitReason);
    expect(koffi.offsetof(s.SYSTEM_THREAD_INFORMATION, 'StartAddress')).toBe(SPI.thread.startAddress);
    expect(koffi.sizeof(s.SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION)).toBe(PROCESSOR_PERFORMANCE.entryBytes);
    expect(koffi.offsetof(s.SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION, 'UserTime')).toBe(PROCESSOR_PERFORMANCE.userTime);
    expect(koffi.sizeof(s.MEMORYSTATUSEX)).toBe(MEMORYSTATUSEX.sizeBytes);
    expect(koffi.offsetof(s.MEMORYSTATUSEX, 'ullAvailPageFile')).toBe(MEMORYSTATUSEX.ullAvailPageFile);
    expect(koffi.sizeof(s.PERFORMANCE_INFORMATION)).toBe(PERFORMANCE_INFORMATION.sizeBytes);
    expect(koffi.offsetof(s.PERFORMANCE_INFORMATION, 'PageSize')).toBe(PERFORMANCE_INFORMATION.pageSize);
    expect(koffi.offsetof(s.PERFORMANCE_INFORMATION, 'ThreadCount')).toBe(PERFORMANCE_INFORMATION.threadCount);
  });
});

describe('parseSystemProcessInformation', () => {
  const fixture = [
    { pid: 0, name: '', threads: [{ state: 2 }, { state: 2 }] },
    { pid: 4, ppid: 0, name: 'System', threads: [{ contextSwitches: 10 }], createTime: 0n },
    { pid: 88, ppid: 4, name: 'Registry', threads: [{}] },
    {
      pid: 4242,
      ppid: 1000,
      name: 'My Game (x64).exe',
      createTime: CREATED,
      userTime100ns: 12_345_678n,
      kernelTime100ns: 2_000_000n,
      basePriority: 10,
      handleCount: 321,
      sessionId: 1,
      virtualSizeBytes: 3 * 2 ** 40,
      workingSetBytes: 150_000_000,
      privateBytes: 90_000_000,
      pageFaultCount: 5000,
      hardFaultCount: 120,
      readOperationCount: 77n,
      writeOperationCount: 33n,
      readTransferBytes: 1_048_576n,
      writeTransferBytes: 4096n,
      threads: [
        { contextSwitches: 100, state: 2 },
        { contextSwitches: 250, state: 5, waitReason: 6 },
        { contextSwitches: 4_000_000_000, state: 5, waitReason: 5 },
      ],
    },
    { pid: 5000, ppid: 4242, name: '日本語のプロセス.exe', threads: [{ state: 5, waitReason: 5 }], createTime: CREATED + 1n },
    { pid: 5004, ppid: 4242, name: 'emoji 🎮.exe', threads: [{}], createTime: CREATED + 2n },
  ];

  it('walks the NextEntryOffset chain and reads every field', () => {
    const buf = buildSpiBuffer(fixture);
    const result = parseSystemProcessInformation(buf.bytes, buf.baseAddress, buf.byteLength);
    expect(result.ok).toBe(true);
    expect(result.processes.map((p) => p.pid)).toEqual([0, 4, 88, 4242, 5000, 5004]);
    const game = result.processes[3]!;
    expect(game).toMatchObject({
      pid: 4242,
      ppid: 1000,
      name: 'My Game (x64).exe',
      nameOutOfRange: false,
      threadCount: 3,
      createTime: CREATED,
      userTime100ns: 12_345_678n,
      kernelTime100ns: 2_000_000n,
      basePriority: 10,
      handleCount: 321,
      sessionId: 1,
      virtualSizeBytes: 3 * 2 ** 40,
      workingSetBytes: 150_000_000,
      privateBytes: 90_000_000,
      pageFaultCount: 5000,
      hardFaultCount: 120,
      readOperationCount: 77n,
      writeOperationCount: 33n,
      readTransferBytes: 1_048_576n,
      writeTransferBytes: 4096n,
      contextSwitches: 4_000_000_350,
      runningThreads: 1,
      suspendedThreads: 1,
    });
  });

  it('decodes unicode names (CJK, surrogate pairs) and the idle process without a name', () => {
    const buf = buildSpiBuffer(fixture);
    const { processes } = parseSystemProcessInformation(buf.bytes, buf.baseAddress, buf.byteLength);
    expect(processes[0]!.name).toBe('');
    expect(processes[4]!.name).toBe('日本語のプロセス.exe');
    expect(processes[5]!.name).toBe('emoji 🎮.exe');
  });

  it('resolves name pointers relative to the base address the buffer had', () => {
    const a = buildSpiBuffer(fixture, 0x7ff0_0000_0000n);
    const b = buildSpiBuffer(fixture, 0x10_0000n);
    const namesA = parseSystemProcessInformation(a.bytes, a.baseAddress).processes.map((p) => p.name);
    const namesB = parseSystemProcessInformation(b.bytes, b.baseAddress).processes.map((p) => p.name);
    expect(namesA).toEqual(namesB);
    // The wrong base makes every pointer fall outside: names are flagged, never read from elsewhere.
    const wrong = parseSystemProcessInformation(a.bytes, 0x10_0000n).processes;
    expect(wrong.filter((p) => p.name !== '')).toEqual([]);
    expect(wrong.filter((p) => p.nameOutOfRange).length).toBe(5);
  });

  it('works on a Buffer slice that does not start at its ArrayBuffer offset 0', () => {
    const buf = buildSpiBuffer(fixture);
    const padded = Buffer.alloc(buf.bytes.length + 24);
    buf.bytes.copy(padded, 24);
    const slice = padded.subarray(24);
    const r = parseSystemProcessInformation(slice, buf.baseAddress, buf.byteLength);
    expect(r.ok).toBe(true);
    expect(r.processes[3]!.name).toBe('My Game (x64).exe');
  });

  it('stops with an error, keeping what it read, when a record runs past ReturnLength', () => {
    const buf = buildSpiBuffer(fixture);
    const truncated = parseSystemProcessInformation(buf.bytes, buf.baseAddress, buf.byteLength - 300);
    expect(truncated.ok).toBe(false);
    expect(truncated.processes.length).toBeGreaterThan(0);
    expect(truncated.processes.length).toBeLessThan(fixture.length);
    const empty = parseSystemProcessInformation(new Uint8Array(10), 0n);
    expect(empty).toMatchObject({ ok: false, processes: [] });
  });

  it('rejects a NextEntryOffset that would loop or go backwards', () => {
    const buf = buildSpiBuffer(fixture.slice(0, 2));
    buf.bytes.writeUInt32LE(8, 0); // first record claims the next one starts 8 bytes in
    const r = parseSystemProcessInformation(buf.bytes, buf.baseAddress, buf.byteLength);
    expect(r.ok).toBe(false);
    expect(r.processes.length).toBe(1);
  });
});

describe('per-core and memory structs', () => {
  it('parses SYSTEM_PROCESSOR_PERFORMANCE_INFORMATION entries', () => {
    const buf = buildProcessorPerformanceBuffer([
      { idle100ns: 1n, kernel100ns: 2n, user100ns: 3n },
      { idle100ns: 10n, kernel100ns: 20n, user100ns: 30n },
    ]);
    const cores = parseProcessorPerformance(buf.bytes, buf.byteLength);
    expect(cores).toHaveLength(2);
    expect(cores[1]).toMatchObject({ idle100ns: 10n, kernel100ns: 20n, user100ns: 30n });
  });
  it('parses MEMORYSTATUSEX and PERFORMANCE_INFORMATION', () => {
    const m = { memoryLoadPercent: 42, totalPhysBytes: 16 * 2 ** 30, availPhysBytes: 9 * 2 ** 30, totalPageFileBytes: 20 * 2 ** 30, availPageFileBytes: 11 * 2 ** 30 };
    expect(parseMemoryStatusEx(buildMemoryStatusEx(m))).toEqual(m);
    expect(() => parseMemoryStatusEx(new Uint8Array(10))).toThrow(/64 bytes/);
    const p = parsePerformanceInformation(
      buildPerformanceInformation({ pageSizeBytes: 4096, systemCachePages: 1000, threadCount: 2500, handleCount: 90000, processCount: 250 }),
    );
    expect(p).toMatchObject({ pageSizeBytes: 4096, systemCacheBytes: 4_096_000, threadCount: 2500, handleCount: 90000, processCount: 250 });
  });
});

describe('priority class and time helpers', () => {
  it('maps base priorities to classes and nice values', () => {
    const cases: [number, string, number][] = [
      [4, 'idle', 19],
      [6, 'below-normal', 10],
      [8, 'normal', 0],
      [9, 'normal', 0],
      [10, 'above-normal', -5],
      [13, 'high', -10],
      [24, 'realtime', -20],
    ];
    for (const [base, cls, nice] of cases) {
      const c = priorityClassFromBasePriority(base);
      expect([base, c, niceFromPriorityClass(c)]).toEqual([base, cls, nice]);
    }
  });
  it('converts FILETIME to epoch ms', () => {
    expect(fileTimeToEpochMs(CREATED)).toBe(Date.parse('2024-03-01T12:00:00.000Z'));
    expect(fileTimeToEpochMs(0n)).toBe(0);
  });
});

import * as koffi from 'koffi';
import { describe, expect, it } from 'vitest';
import { defineDarwinStructs } from '../../../src-main/monitor/bindings.darwin';
import {
  BSDINFO,
  machToMs,
  parseRusageV2,
  parseShortBsdInfo,
  parseTaskAllInfo,
  parseVmStatistics64,
  parseXswUsage,
  RUSAGE_V2,
  SHORTBSDINFO,
  TASKALLINFO_BYTES,
  TASKINFO,
  VM_STATISTICS64,
  XSW_USAGE,
} from '../../../src-main/monitor/libproc.darwin';
import {
  buildRusageV2,
  buildShortBsdInfo,
  buildTaskAllInfo,
  buildVmStatistics64,
  buildXswUsage,
} from '../../fixtures/darwin/libproc-builder';

describe('struct layouts (koffi applies the C rules to the SDK definitions)', () => {
  const s = defineDarwinStructs(koffi);
  it('proc_taskallinfo = proc_bsdinfo + proc_taskinfo', () => {
    expect(koffi.sizeof(s.proc_bsdinfo)).toBe(BSDINFO.sizeBytes);
    expect(koffi.sizeof(s.proc_taskinfo)).toBe(TASKINFO.sizeBytes);
    expect(koffi.sizeof(s.proc_taskallinfo)).toBe(TASKALLINFO_BYTES);
    const bsd: [string, number][] = [
      ['pbi_status', BSDINFO.status], ['pbi_pid', BSDINFO.pid], ['pbi_ppid', BSDINFO.ppid], ['pbi_uid', BSDINFO.uid],
      ['pbi_comm', BSDINFO.comm], ['pbi_name', BSDINFO.name], ['pbi_nfiles', BSDINFO.nfiles], ['pbi_nice', BSDINFO.nice],
      ['pbi_start_tvsec', BSDINFO.startTvSec], ['pbi_start_tvusec', BSDINFO.startTvUsec],
    ];
    for (const [f, o] of bsd) expect([f, koffi.offsetof(s.proc_bsdinfo, f)]).toEqual([f, o]);
    const task: [string, number][] = [
      ['pti_resident_size', TASKINFO.residentSize], ['pti_total_user', TASKINFO.totalUser], ['pti_total_system', TASKINFO.totalSystem],
      ['pti_faults', TASKINFO.faults], ['pti_pageins', TASKINFO.pageins], ['pti_syscalls_mach', TASKINFO.syscallsMach],
      ['pti_syscalls_unix', TASKINFO.syscallsUnix], ['pti_csw', TASKINFO.csw], ['pti_threadnum', TASKINFO.threadnum],
      ['pti_numrunning', TASKINFO.numrunning], ['pti_priority', TASKINFO.priority],
    ];
    for (const [f, o] of task) expect([f, koffi.offsetof(s.proc_taskinfo, f)]).toEqual([f, o]);
  });
  it('bsdshortinfo, rusage_info_v2, vm_statistics64, xsw_usage', () => {
    expect(koffi.sizeof(s.proc_bsdshortinfo)).toBe(SHORTBSDINFO.sizeBytes);
    expect(koffi.offsetof(s.proc_bsdshortinfo, 'pbsi_uid')).toBe(SHORTBSDINFO.uid);
    expect(koffi.offsetof(s.proc_bsdshortinfo, 'pbsi_comm')).toBe(SHORTBSDINFO.comm);
    expect(koffi.sizeof(s.rusage_info_v2)).toBe(RUSAGE_V2.sizeBytes);
    expect(koffi.offsetof(s.rusage_info_v2, 'ri_phys_footprint')).toBe(RUSAGE_V2.physFootprint);
    expect(koffi.offsetof(s.rusage_info_v2, 'ri_diskio_bytesread')).toBe(RUSAGE_V2.diskioBytesRead);
    expect(koffi.offsetof(s.rusage_info_v2, 'ri_diskio_byteswritten')).toBe(RUSAGE_V2.diskioBytesWritten);
    expect(koffi.sizeof(s.vm_statistics64)).toBe(VM_STATISTICS64.sizeBytes);
    expect(VM_STATISTICS64.sizeBytes / 4).toBe(VM_STATISTICS64.count);
    for (const [f, o] of [['speculative_count', VM_STATISTICS64.speculativeCount], ['swapins', VM_STATISTICS64.swapins], ['swapouts', VM_STATISTICS64.swapouts], ['external_page_count', VM_STATISTICS64.externalPageCount], ['compressor_page_count', VM_STATISTICS64.compressorPageCount]] as [string, number][]) {
      expect([f, koffi.offsetof(s.vm_statistics64, f)]).toEqual([f, o]);
    }
    expect(koffi.sizeof(s.xsw_usage)).toBe(XSW_USAGE.sizeBytes);
    expect(koffi.offsetof(s.xsw_usage, 'xsu_used')).toBe(XSW_USAGE.used);
  });
});

describe('parseTaskAllInfo', () => {
  it('reads identity, names and counters', () => {
    const t = parseTaskAllInfo(
      buildTaskAllInfo({
        pid: 812, ppid: 1, uid: 501, status: 2, comm: 'Google Chrome H', name: 'Google Chrome Helper (Renderer)',
        nice: 5, startTvSec: 1_709_294_400, startTvUsec: 123_456, residentSizeBytes: 123_000_000n,
        totalUserMach: 24_000_000n, totalSystemMach: 2_400_000n, faults: 3_000_000_000, pageins: 12,
        syscallsMach: 100, syscallsUnix: 200, csw: 5000, threads: 17, running: 2, priority: 46,
      }),
    );
    expect(t).toMatchObject({
      pid: 812, ppid: 1, uid: 501, status: 2, comm: 'Google Chrome H', name: 'Google Chrome Helper (Renderer)',
      nice: 5, startTvSec: 1_709_294_400, startTvUsec: 123_456, residentSizeBytes: 123_000_000,
      totalUserMach: 24_000_000n, totalSystemMach: 2_400_000n,
      faults: 3_000_000_000, // past 2^31: read as unsigned, keeps counting
      pageins: 12, syscallsMach: 100, syscallsUnix: 200, contextSwitches: 5000, threads: 17, runningThreads: 2, priority: 46,
    });
  });
  it('falls back to pbi_comm when pbi_name is empty, and decodes UTF-8 names', () => {
    expect(parseTaskAllInfo(buildTaskAllInfo({ pid: 5, comm: 'launchd' })).name).toBe('launchd');
    expect(parseTaskAllInfo(buildTaskAllInfo({ pid: 6, name: 'Übersicht 日本' })).name).toBe('Übersicht 日本');
    // A name filling all 32 bytes has no NUL: read exactly 32 bytes, nothing beyond.
    const full = 'x'.repeat(32);
    expect(parseTaskAllInfo(buildTaskAllInfo({ pid: 7, name: full })).name).toBe(full);
  });
  it('refuses a short buffer with a clear error', () => {
    expect(() => parseTaskAllInfo(new Uint8Array(100))).toThrow(/proc_taskallinfo needs 232 bytes/);
  });
});

describe('other structs', () => {
  it('bsdshortinfo, rusage v2, vm_statistics64, xsw_usage', () => {
    expect(parseShortBsdInfo(buildShortBsdInfo({ pid: 88, ppid: 1, uid: 0, status: 3, comm: 'WindowServer' }))).toEqual({ pid: 88, ppid: 1, uid: 0, status: 3, comm: 'WindowServer' });
    expect(parseRusageV2(buildRusageV2({ diskReadBytes: 10n, diskWriteBytes: 20n, physFootprintBytes: 30n }))).toMatchObject({ diskReadBytes: 10, diskWriteBytes: 20, physFootprintBytes: 30 });
    expect(parseVmStatistics64(buildVmStatistics64({ free: 1, active: 2, inactive: 3, wired: 4, external: 5, swapins: 6n, swapouts: 7n }))).toMatchObject({ freePages: 1, activePages: 2, inactivePages: 3, wiredPages: 4, externalPages: 5, swapins: 6, swapouts: 7, speculativePages: 9, purgeablePages: 7, compressorPages: 1000 });
    expect(parseXswUsage(buildXswUsage({ total: 2048n, used: 512n }))).toEqual({ totalBytes: 2048, availBytes: 1536, usedBytes: 512 });
  });
  it('machToMs scales by the timebase (Apple Silicon 125/3, Intel 1/1)', () => {
    expect(machToMs(24_000_000n, 125, 3)).toBeCloseTo(1000, 9);
    expect(machToMs(1_000_000_000n, 1, 1)).toBe(1000);
    expect(machToMs(5n, 1, 0)).toBe(0);
  });
});

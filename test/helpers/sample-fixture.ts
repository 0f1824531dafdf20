// Builds valid Samples for tests that need contract-shaped data (not collector tests).
import type { ProcessSample, Sample } from '../../src-shared/domain';

export function fixtureProcess(overrides: Partial<ProcessSample> = {}): ProcessSample {
  return {
    pid: 4242,
    ppid: 1,
    startTime: 123_456,
    startedAtMs: 1_763_700_000_000,
    name: 'fixture',
    cmdline: '/usr/bin/fixture --flag',
    user: 'root',
    uid: 0,
    state: 'sleeping',
    threads: 1,
    nice: 0,
    cpuPercent: 1.5,
    rssBytes: 10_485_760,
    ...overrides,
  };
}

export function fixtureSample(processes: ProcessSample[] = [fixtureProcess()], at = 1_763_700_001_000): Sample {
  return {
    at,
    intervalMs: 1000,
    system: {
      cpuPercent: 12.5,
      cores: [
        { core: 0, cpuPercent: 10 },
        { core: 1, cpuPercent: 15 },
      ],
      memory: { totalBytes: 8 * 2 ** 30, availableBytes: 6 * 2 ** 30, usedBytes: 2 * 2 ** 30, swapTotalBytes: 0, swapUsedBytes: 0 },
      loadAvg: [0.5, 0.4, 0.3],
      processCount: processes.length,
    },
    processes,
  };
}

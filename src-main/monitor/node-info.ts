// Shared by the Windows, macOS and portable collectors. Static system facts from Node's `os` module, with the native collector's own readings preferred
// where it has them (a failing native read keeps Node's value). Used by the Windows and macOS samplers.
import os from 'node:os';
import type { Platform, Sample, SystemInfo } from '../../src-shared/domain';
import type { Sampler } from './types';

export function nodeSystemInfo(
  platform: Platform,
  nowMs: number,
  native: { logicalCores?: () => number; totalMemoryBytes?: () => number } = {},
): SystemInfo {
  const read = (fn: (() => number) | undefined, fallback: number): number => {
    try {
      return (fn ? fn() : 0) || fallback;
    } catch {
      return fallback;
    }
  };
  return {
    platform,
    hostname: os.hostname().slice(0, 1024),
    osRelease: os.release().slice(0, 1024),
    cpuModel: (os.cpus()[0]?.model ?? 'unknown').trim().slice(0, 1024),
    logicalCores: Math.max(1, read(native.logicalCores, os.cpus().length)),
    totalMemoryBytes: read(native.totalMemoryBytes, os.totalmem()),
    bootTimeMs: Math.max(0, nowMs - os.uptime() * 1000),
  };
}

/** Fields only Linux's scheduler and cgroups have; every other collector marks them unsupported. */
export const LINUX_ONLY_FIELDS = [
  'runQueueWaitMsPerSec',
  'schedPolicy',
  'rtPriority',
  'affinity',
  'ioClass',
  'ioLevel',
  'cgroup',
  'autogroup',
  'autogroupNice',
  'oomScoreAdj',
] as const;

/** `unavailable` entries (`field:unsupported`) for fields a collector never fills. */
export function unsupportedFields(...fields: readonly string[]): string[] {
  return fields.map((field) => `${field}:unsupported`);
}

/**
 * The sampler shape the Windows, macOS and portable collectors share: read raw counters, add the
 * uptime, turn them into a Sample with the previous tick's state (the pure processing step), and
 * account the CPU the whole step cost. Each collector supplies only its collect and process steps.
 */
export function processingSampler<Raw extends { uptimeSec?: number }, State>(parts: {
  name: string;
  info(): Promise<SystemInfo>;
  collect(previous: State | undefined): Raw | Promise<Raw>;
  process(previous: State | undefined, raw: Raw): { sample: Sample; state: State };
  close(): void;
}): Sampler {
  let state: State | undefined;
  let closed = false;
  return {
    name: parts.name,
    info: () => parts.info(),
    async sample(): Promise<Sample> {
      if (closed) throw new Error(`${parts.name} sampler is closed`);
      const cpuBefore = process.cpuUsage();
      const raw = await parts.collect(state);
      raw.uptimeSec = os.uptime();
      const result = parts.process(state, raw);
      state = result.state;
      const cpu = process.cpuUsage(cpuBefore);
      result.sample.collectCpuMs = (cpu.user + cpu.system) / 1000;
      return result.sample;
    },
    close() {
      closed = true;
      state = undefined;
      parts.close();
    },
  };
}

// Static system facts for Linux, read once: /proc/cpuinfo (model), /sys/devices/system/cpu/cpuN/topology
// (physical cores, SMT siblings), /proc/meminfo (total), /proc/sys/kernel/{hostname,osrelease},
// /etc/os-release, /proc/stat (btime), sysconf(_SC_CLK_TCK). GPUs are not listed: systeminformation
// finds them by spawning lspci/nvidia-smi, which is not cheap and not needed by SystemInfo.
import { readFileSync, readdirSync } from 'node:fs';
import { hostname as osHostname, cpus } from 'node:os';
import type { SystemInfo } from '../../src-shared/domain';
import { parseCpuList, parseCpuinfo, parseMeminfo, parseOsRelease, parseProcStat } from './procfs.linux';

export interface StaticInfoPaths {
  procRoot?: string;
  sysRoot?: string;
  etcRoot?: string;
  clockTicksPerSec?: number;
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Logical cpu numbers that have a topology directory under sysRoot. */
function logicalCpus(sysRoot: string): number[] {
  try {
    return readdirSync(`${sysRoot}/devices/system/cpu`)
      .filter((n) => /^cpu\d+$/.test(n))
      .map((n) => Number(n.slice(3)))
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

export function readLinuxSystemInfo(paths: StaticInfoPaths = {}): SystemInfo {
  const procRoot = paths.procRoot ?? '/proc';
  const sysRoot = paths.sysRoot ?? '/sys';
  const etcRoot = paths.etcRoot ?? '/etc';

  const cpuinfo = parseCpuinfo(tryRead(`${procRoot}/cpuinfo`) ?? '');
  const cpuList = logicalCpus(sysRoot);
  const logicalCores = Math.max(1, cpuList.length || cpuinfo.length || cpus().length);
  const cpuModel = cpuinfo.find((c) => c.modelName)?.modelName ?? cpus()[0]?.model ?? 'unknown';

  // SMT siblings and physical cores from topology; fall back to cpuinfo's physical/core ids.
  const smtSiblings: number[][] = [];
  const cores = new Set<string>();
  for (const cpu of cpuList) {
    const dir = `${sysRoot}/devices/system/cpu/cpu${cpu}/topology`;
    const siblings = tryRead(`${dir}/thread_siblings_list`) ?? tryRead(`${dir}/core_cpus_list`);
    const list = siblings ? parseCpuList(siblings) : [cpu];
    smtSiblings[cpu] = list.length > 0 ? list.slice(0, 64) : [cpu];
    const pkg = tryRead(`${dir}/physical_package_id`)?.trim() ?? '0';
    const core = tryRead(`${dir}/core_id`)?.trim();
    cores.add(core !== undefined ? `${pkg}:${core}` : `siblings:${(smtSiblings[cpu] ?? []).join(',')}`);
  }
  if (cores.size === 0) {
    for (const c of cpuinfo) if (c.coreId !== undefined) cores.add(`${c.physicalId ?? 0}:${c.coreId}`);
  }
  const denseSiblings = smtSiblings.length === logicalCores && smtSiblings.every((s) => Array.isArray(s));

  const meminfo = parseMeminfo(tryRead(`${procRoot}/meminfo`) ?? '');
  const btime = parseProcStat(tryRead(`${procRoot}/stat`) ?? '').bootTimeSec;
  const kernel = tryRead(`${procRoot}/sys/kernel/osrelease`)?.trim();
  const distro = parseOsRelease(tryRead(`${etcRoot}/os-release`) ?? tryRead('/usr/lib/os-release') ?? '');
  const osRelease = [distro, kernel ? `Linux ${kernel}` : undefined].filter(Boolean).join(', ') || 'Linux';
  const host = tryRead(`${procRoot}/sys/kernel/hostname`)?.trim() || osHostname();

  const info: SystemInfo = {
    platform: 'linux',
    hostname: host,
    osRelease,
    cpuModel,
    logicalCores,
    totalMemoryBytes: meminfo.get('MemTotal') ?? 0,
  };
  if (cores.size > 0) info.physicalCores = cores.size;
  if (denseSiblings) info.smtSiblings = smtSiblings;
  if (paths.clockTicksPerSec !== undefined) info.clockTicksPerSec = paths.clockTicksPerSec;
  if (btime !== undefined && Number.isFinite(btime)) info.bootTimeMs = btime * 1000;
  return info;
}

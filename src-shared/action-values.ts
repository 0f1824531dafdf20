// Pure comparison of setting values, shared by every adapter (read-back check) and the actuator
// (external-change detection): does a value read from the OS mean the same as the one asked for?
import type { Change, ValueOf } from './actions';

/** True when the two values mean the same setting (rounding of quota and page size allowed). */
export function settingMatches(setting: 'cpuWeight' | 'cpuCap' | 'memoryLimit', wanted: number | null, actual: number | null): boolean {
  if (setting === 'cpuWeight') return Math.abs((wanted ?? 100) - (actual ?? 100)) <= 1;
  if (wanted === null || actual === null) return wanted === actual;
  if (setting === 'cpuCap') return Math.abs(wanted - actual) <= Math.max(1, wanted * 0.01);
  return Math.abs(wanted - actual) < 65_536;
}

/** Does the value read back match what was asked? */
export function matches(change: Change, after: Change): boolean {
  if (change.op !== after.op) return false;
  switch (change.op) {
    case 'priority': {
      const a = after.value as ValueOf<'priority'>;
      if (a.nice !== change.value.nice) return false;
      return change.value.autogroupNice === undefined || a.autogroupNice === change.value.autogroupNice;
    }
    case 'affinity': {
      const a = [...(after.value as ValueOf<'affinity'>).cpus].sort((x, y) => x - y);
      const w = [...new Set(change.value.cpus)].sort((x, y) => x - y);
      return a.length === w.length && a.every((cpu, i) => cpu === w[i]);
    }
    case 'ioPriority': {
      const a = after.value as ValueOf<'ioPriority'>;
      if (a.ioClass !== change.value.ioClass) return false;
      return change.value.ioClass === 'idle' || change.value.ioClass === 'none' || a.level === change.value.level;
    }
    case 'cpuWeight':
      return settingMatches('cpuWeight', change.value.weight, (after.value as ValueOf<'cpuWeight'>).weight);
    case 'cpuCap':
      return settingMatches('cpuCap', change.value.percentOfOneCore, (after.value as ValueOf<'cpuCap'>).percentOfOneCore);
    case 'memoryLimit':
      return settingMatches('memoryLimit', change.value.softLimitBytes, (after.value as ValueOf<'memoryLimit'>).softLimitBytes);
    case 'efficiencyMode':
    case 'suspend':
      return JSON.stringify(change.value) === JSON.stringify(after.value);
    case 'terminate':
      return false;
  }
}


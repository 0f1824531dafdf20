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
    case 'sessionPriority':
      return (after.value as ValueOf<'sessionPriority'>).nice === change.value.nice;
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


/**
 * What a restore may write, per field, given the original (`before`), the value Allot wrote
 * (`allot`) and the value the process has now (`now`): a field still at Allot's value goes back to
 * the original; a field someone else changed since is theirs and stays (issue: a restore never writes
 * over a value that is no longer Allot's). Priority is split into the main thread's nice, each
 * thread's nice and the session's autogroup nice; other operations are one field.
 * `change` is null when nothing needs writing; `external` names the fields someone else holds.
 */
export interface RestorePlan {
  change: Change | null;
  external: string[];
}

export function restorePlan(before: Change, allot: Change, now: Change): RestorePlan {
  if (before.op === 'priority' && allot.op === 'priority' && now.op === 'priority') return priorityPlan(before.value, allot.value, now.value);
  if (matches(allot, now) && !matches(before, now)) return { change: before, external: [] };
  if (matches(before, now)) return { change: null, external: [] };
  return { change: null, external: [before.op] };
}

function priorityPlan(before: ValueOf<'priority'>, allot: ValueOf<'priority'>, now: ValueOf<'priority'>): RestorePlan {
  const external: string[] = [];
  let write = false;
  const decide = (orig: number, mine: number, current: number, field: string): number => {
    if (current === mine) {
      if (orig !== current) write = true;
      return orig;
    }
    if (current !== orig) external.push(field);
    return current;
  };
  const nice = decide(before.nice, allot.nice, now.nice, 'nice');
  const beforeT = new Map(before.threadNice ?? []);
  const allotT = new Map(allot.threadNice ?? []);
  const nowT = new Map(now.threadNice ?? []);
  const threadNice: [number, number][] = [];
  let threadsExternal = 0;
  for (const tid of new Set([...beforeT.keys(), ...allotT.keys(), ...nowT.keys()])) {
    const marks = external.length;
    const value = decide(beforeT.get(tid) ?? before.nice, allotT.get(tid) ?? allot.nice, nowT.get(tid) ?? now.nice, `thread ${tid} nice`);
    if (external.length > marks) {
      external.pop();
      threadsExternal++;
    }
    if (value !== nice) threadNice.push([tid, value]);
  }
  if (threadsExternal > 0) external.push(`${threadsExternal} thread nice value${threadsExternal === 1 ? '' : 's'}`);
  let autogroupNice = now.autogroupNice;
  if (before.autogroupNice !== undefined && allot.autogroupNice !== undefined && now.autogroupNice !== undefined) {
    autogroupNice = decide(before.autogroupNice, allot.autogroupNice, now.autogroupNice, 'autogroup nice');
  }
  if (!write) return { change: null, external };
  return {
    change: { op: 'priority', value: { nice, ...(autogroupNice !== undefined ? { autogroupNice } : {}), ...(threadNice.length > 0 ? { threadNice } : {}) } },
    external,
  };
}

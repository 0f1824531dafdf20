// Column definitions of the process table: how to read, compare and show each ProcessSample field,
// which fields a collector reported as unreadable, and the heat-map level of a cell.
import type { ProcessSample } from '../../src-shared/domain';
import { formatBytes, formatBytesPerSec, formatDurationMs, formatPercent } from '../../src-shared/format';

export type ColumnGroup = 'General' | 'CPU' | 'Memory' | 'I/O' | 'Scheduling' | 'Identity';
/** Which heat scale a column's cells are shaded on. */
export type HeatKind = 'cpu' | 'memory' | 'io';

export interface ProcessColumn {
  id: string;
  label: string;
  /** Longer description for the column chooser and header tooltip. */
  description: string;
  group: ColumnGroup;
  /** CSS grid track size. */
  width: string;
  align: 'left' | 'right';
  heat?: HeatKind;
  /** Process fields this column reads (for the "unavailable" marker). */
  fields: readonly string[];
  value(process: ProcessSample): string | number | undefined;
  format(process: ProcessSample): string;
}

// One formatter for every row: toLocaleTimeString builds a new one per call, far too slow per tick.
const timeFormat = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });
const rate = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1)) + '/s';

function num(
  id: keyof ProcessSample & string,
  label: string,
  group: ColumnGroup,
  width: string,
  format: (value: number) => string,
  description = label,
  heat?: HeatKind,
): ProcessColumn {
  return {
    id,
    label,
    description,
    group,
    width,
    align: 'right',
    heat,
    fields: [id],
    value: (p) => p[id] as number | undefined,
    format: (p) => {
      const value = p[id] as number | undefined;
      return value === undefined ? '' : format(value);
    },
  };
}

function text(id: keyof ProcessSample & string, label: string, group: ColumnGroup, width: string, description = label): ProcessColumn {
  return {
    id,
    label,
    description,
    group,
    width,
    align: 'left',
    fields: [id],
    value: (p) => {
      const value = p[id];
      return value === undefined ? undefined : String(value);
    },
    format: (p) => {
      const value = p[id];
      return value === undefined ? '' : String(value);
    },
  };
}

/** Compact CPU list: [0,1,2,3,6] -> "0-3,6". */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...cpus].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

export const ALL_COLUMNS: readonly ProcessColumn[] = [
  text('name', 'Name', 'General', 'minmax(180px, 1.6fr)', 'Process name'),
  num('pid', 'PID', 'General', '72px', String, 'Process id'),
  num('ppid', 'PPID', 'General', '72px', String, 'Parent process id'),
  text('user', 'User', 'General', '100px', 'Owner'),
  num('uid', 'UID', 'General', '64px', String, 'Owner user id'),
  text('state', 'State', 'General', '92px'),
  num('cpuPercent', 'CPU', 'CPU', '76px', (v) => formatPercent(v), 'CPU, % of one core', 'cpu'),
  num('cpuUserPercent', 'CPU user', 'CPU', '80px', (v) => formatPercent(v), 'User-mode CPU, % of one core', 'cpu'),
  num('cpuSystemPercent', 'CPU sys', 'CPU', '80px', (v) => formatPercent(v), 'Kernel-mode CPU, % of one core', 'cpu'),
  num('cpuTimeMs', 'CPU time', 'CPU', '86px', formatDurationMs, 'Cumulative CPU time'),
  num('rssBytes', 'Memory', 'Memory', '96px', (v) => formatBytes(v), 'Resident memory (RSS)', 'memory'),
  num('vmsBytes', 'Virtual', 'Memory', '96px', (v) => formatBytes(v), 'Virtual memory size'),
  num('swapBytes', 'Swap', 'Memory', '86px', (v) => formatBytes(v), 'Swapped-out memory', 'memory'),
  num('privateBytes', 'Private', 'Memory', '96px', (v) => formatBytes(v), 'Private (committed) memory', 'memory'),
  num('minorFaultsPerSec', 'Minor faults', 'Memory', '92px', rate, 'Minor page faults per second'),
  num('majorFaultsPerSec', 'Major faults', 'Memory', '92px', rate, 'Major page faults per second', 'io'),
  {
    id: 'ioBytesPerSec',
    label: 'Disk I/O',
    description: 'Disk read + write bytes per second',
    group: 'I/O',
    width: '96px',
    align: 'right',
    heat: 'io',
    fields: ['readBytesPerSec', 'writeBytesPerSec'],
    value: (p) =>
      p.readBytesPerSec === undefined && p.writeBytesPerSec === undefined ? undefined : (p.readBytesPerSec ?? 0) + (p.writeBytesPerSec ?? 0),
    format: (p) =>
      p.readBytesPerSec === undefined && p.writeBytesPerSec === undefined
        ? ''
        : formatBytesPerSec((p.readBytesPerSec ?? 0) + (p.writeBytesPerSec ?? 0)),
  },
  num('readBytesPerSec', 'Read', 'I/O', '90px', formatBytesPerSec, 'Disk read bytes per second', 'io'),
  num('writeBytesPerSec', 'Write', 'I/O', '90px', formatBytesPerSec, 'Disk write bytes per second', 'io'),
  num('readSyscallsPerSec', 'Read calls', 'I/O', '86px', rate, 'Read system calls per second'),
  num('writeSyscallsPerSec', 'Write calls', 'I/O', '86px', rate, 'Write system calls per second'),
  num('syscallsPerSec', 'Syscalls', 'I/O', '86px', rate, 'System calls per second'),
  num('handleCount', 'Handles', 'I/O', '76px', String, 'Open handles / file descriptors'),
  num('threads', 'Threads', 'Scheduling', '84px', String),
  num('nice', 'Nice', 'Scheduling', '56px', String, 'Nice value (-20 highest .. 19 lowest)'),
  num('priority', 'Priority', 'Scheduling', '64px', String, 'Kernel priority'),
  text('schedPolicy', 'Policy', 'Scheduling', '72px', 'Scheduling policy'),
  num('rtPriority', 'RT prio', 'Scheduling', '64px', String, 'Real-time priority'),
  {
    id: 'affinity',
    label: 'Affinity',
    description: 'CPUs the process may run on',
    group: 'Scheduling',
    width: '90px',
    align: 'left',
    fields: ['affinity'],
    value: (p) => (p.affinity ? p.affinity.length : undefined),
    format: (p) => (p.affinity ? formatCpuList(p.affinity) : ''),
  },
  text('ioClass', 'I/O class', 'Scheduling', '90px', 'I/O scheduling class'),
  num('ioLevel', 'I/O level', 'Scheduling', '64px', String, 'I/O priority level (0 highest .. 7 lowest)'),
  num('voluntaryCtxSwitchesPerSec', 'Vol. ctx sw', 'Scheduling', '90px', rate, 'Voluntary context switches per second'),
  num('involuntaryCtxSwitchesPerSec', 'Invol. ctx sw', 'Scheduling', '96px', rate, 'Involuntary context switches per second'),
  num('ctxSwitchesPerSec', 'Ctx switches', 'Scheduling', '90px', rate, 'Context switches per second'),
  num('runQueueWaitMsPerSec', 'Run-queue wait', 'Scheduling', '108px', (v) => `${v.toFixed(1)} ms/s`, 'Time runnable but waiting for a CPU'),
  text('cgroup', 'Cgroup', 'Scheduling', 'minmax(140px, 1fr)', 'Control group'),
  num('autogroup', 'Autogroup', 'Scheduling', '80px', String, 'Scheduler autogroup id'),
  num('autogroupNice', 'Autogroup nice', 'Scheduling', '100px', String, 'Nice of the autogroup'),
  num('oomScoreAdj', 'OOM adj', 'Scheduling', '72px', String, 'oom_score_adj'),
  text('programId', 'Program', 'Identity', 'minmax(120px, 1fr)', 'Program identity (executable across runs)'),
  {
    id: 'startedAtMs',
    label: 'Started',
    description: 'Start time',
    group: 'Identity',
    width: '86px',
    align: 'right',
    fields: ['startedAtMs'],
    value: (p) => p.startedAtMs,
    format: (p) => timeFormat.format(p.startedAtMs),
  },
  num('startTime', 'Start ticks', 'Identity', '96px', String, 'OS start value (identity)'),
  {
    id: 'kernelThread',
    label: 'Kernel',
    description: 'Kernel thread',
    group: 'Identity',
    width: '60px',
    align: 'left',
    fields: ['kernelThread'],
    value: (p) => (p.kernelThread ? 'yes' : 'no'),
    format: (p) => (p.kernelThread ? 'yes' : ''),
  },
  text('exe', 'Executable', 'Identity', 'minmax(160px, 1.5fr)', 'Executable path'),
  text('cmdline', 'Command line', 'Identity', 'minmax(200px, 3fr)'),
];

export const DEFAULT_COLUMN_IDS: readonly string[] = [
  'name',
  'pid',
  'user',
  'state',
  'cpuPercent',
  'rssBytes',
  'ioBytesPerSec',
  'threads',
  'nice',
  'startedAtMs',
  'cmdline',
];

const byId = new Map(ALL_COLUMNS.map((column) => [column.id, column]));
/** Kept for callers of the walking skeleton: the default columns. */
export const PROCESS_COLUMNS: readonly ProcessColumn[] = DEFAULT_COLUMN_IDS.map((id) => byId.get(id)!);

export function columnById(id: string): ProcessColumn | undefined {
  return byId.get(id);
}

/** Known column ids in their canonical order, dropping unknown ones; the name column always stays. */
export function normalizeColumnIds(ids: readonly unknown[]): string[] {
  const wanted = new Set(ids.filter((id): id is string => typeof id === 'string' && byId.has(id)));
  wanted.add('name');
  return ALL_COLUMNS.filter((column) => wanted.has(column.id)).map((column) => column.id);
}

/** Which fields a part of an "<part>:<reason>" entry in `unavailable` covers (Linux names /proc files). */
const PART_FIELDS: Record<string, readonly string[]> = {
  io: ['readBytesPerSec', 'writeBytesPerSec', 'readSyscallsPerSec', 'writeSyscallsPerSec'],
  schedstat: ['runQueueWaitMsPerSec'],
  status: ['voluntaryCtxSwitchesPerSec', 'involuntaryCtxSwitchesPerSec', 'swapBytes', 'affinity', 'uid'],
  ioprio: ['ioClass', 'ioLevel'],
  autogroup: ['autogroup', 'autogroupNice'],
  oom: ['oomScoreAdj'],
  oom_score_adj: ['oomScoreAdj'],
  stat: ['cpuUserPercent', 'cpuSystemPercent', 'cpuTimeMs', 'minorFaultsPerSec', 'majorFaultsPerSec'],
};

export interface Unavailable {
  /** Short reason class as the collector gave it: permission, denied, unsupported, missing, ... */
  reason: string;
  /** What a person reads in the tooltip. */
  title: string;
}

export function unavailableTitle(reason: string): string {
  if (reason === 'permission' || reason === 'denied') return 'needs privileges';
  if (reason === 'unsupported') return 'not available on this OS';
  return `not readable (${reason})`;
}

/** The reason a field is missing for this process, when its collector named it in `unavailable`. */
export function unavailableReason(process: ProcessSample, field: string): Unavailable | undefined {
  const list = process.unavailable;
  if (!list || list.length === 0) return undefined;
  for (const entry of list) {
    const colon = entry.indexOf(':');
    const part = colon < 0 ? entry : entry.slice(0, colon);
    const reason = colon < 0 ? 'unavailable' : entry.slice(colon + 1);
    if (part === field || PART_FIELDS[part]?.includes(field)) return { reason, title: unavailableTitle(reason) };
  }
  return undefined;
}

/** For a column whose value is absent: why, if a collector said so. */
export function columnUnavailable(column: ProcessColumn, process: ProcessSample): Unavailable | undefined {
  if (column.value(process) !== undefined) return undefined;
  for (const field of column.fields) {
    const found = unavailableReason(process, field);
    if (found) return found;
  }
  return undefined;
}

/** Heat level 0..4 of a value on its scale (0 = no shading). Scales: CPU % of the machine, memory share, I/O rate. */
export function heatLevel(kind: HeatKind, value: number, scale: { logicalCores: number; totalMemoryBytes: number }): number {
  if (!(value > 0)) return 0;
  let fraction: number;
  if (kind === 'cpu') fraction = value / 100; // share of one core: a full core is hot
  else if (kind === 'memory') fraction = (value / Math.max(1, scale.totalMemoryBytes)) * 10; // 10% of RAM is hot
  else fraction = value / (50 * 1024 * 1024); // 50 MiB/s is hot
  if (fraction >= 0.75) return 4;
  if (fraction >= 0.4) return 3;
  if (fraction >= 0.15) return 2;
  if (fraction >= 0.02) return 1;
  return 0;
}

/** Text order: case-insensitive, numbers in text compared as numbers ("node2" < "node10"). */
export const textCollator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Compare two processes by a column; absent values sort last either way; ties by pid. */
export function compareBy(column: ProcessColumn, direction: 'asc' | 'desc'): (a: ProcessSample, b: ProcessSample) => number {
  const sign = direction === 'asc' ? 1 : -1;
  return (a, b) => {
    const left = column.value(a);
    const right = column.value(b);
    let order: number;
    if (left === undefined || right === undefined) order = left === right ? 0 : left === undefined ? 1 : -1;
    else if (typeof left === 'number' && typeof right === 'number') order = (left - right) * sign;
    else order = textCollator.compare(String(left), String(right)) * sign;
    return order !== 0 ? order : a.pid - b.pid;
  };
}

function compareValues(left: string | number | undefined, right: string | number | undefined, sign: number): number {
  if (left === undefined || right === undefined) return left === right ? 0 : left === undefined ? 1 : -1;
  if (typeof left === 'number' && typeof right === 'number') return (left - right) * sign;
  return textCollator.compare(String(left), String(right)) * sign;
}

/**
 * Sort processes by a column, reading each value once instead of twice per comparison. The list is
 * first checked for being in order already (O(n)): fed the previous tick's order, that is the common
 * case on a real machine, and then no sort runs at all. Otherwise decorate, sort (TimSort, near
 * linear on a nearly sorted list), undecorate. Same order as compareBy. Returns whether it sorted.
 */
export function sortByColumn(list: ProcessSample[], column: ProcessColumn, direction: 'asc' | 'desc'): boolean {
  const sign = direction === 'asc' ? 1 : -1;
  const values = new Array<string | number | undefined>(list.length);
  for (let i = 0; i < list.length; i++) values[i] = column.value(list[i]!);
  let sorted = true;
  for (let i = 1; i < list.length; i++) {
    const order = compareValues(values[i - 1], values[i], sign);
    if (order > 0 || (order === 0 && list[i - 1]!.pid > list[i]!.pid)) {
      sorted = false;
      break;
    }
  }
  if (sorted) return false;
  const decorated = list.map((process, i) => ({ value: values[i], pid: process.pid, process }));
  decorated.sort((a, b) => {
    const order = compareValues(a.value, b.value, sign);
    return order !== 0 ? order : a.pid - b.pid;
  });
  for (let i = 0; i < decorated.length; i++) list[i] = decorated[i]!.process;
  return true;
}

/** Does a process match the search text (name, pid, user or command line; case-insensitive)? */
export function matchesSearch(process: ProcessSample, needle: string): boolean {
  if (!needle) return true;
  return (
    process.name.toLowerCase().includes(needle) ||
    String(process.pid) === needle ||
    process.user.toLowerCase().includes(needle) ||
    process.cmdline.toLowerCase().includes(needle)
  );
}

/** Filter by name, pid, user or command line (case-insensitive), then sort by a column. */
export function visibleProcesses(
  processes: readonly ProcessSample[],
  filter: string,
  sort: { column: string; direction: 'asc' | 'desc' },
): ProcessSample[] {
  const needle = filter.trim().toLowerCase();
  const rows = needle ? processes.filter((p) => matchesSearch(p, needle)) : processes.slice();
  const column = columnById(sort.column) ?? ALL_COLUMNS[0]!;
  rows.sort(compareBy(column, sort.direction));
  return rows;
}

// Turns the latest process list into the rows the table shows: flat (filtered + sorted), tree (by
// ppid, with expand/collapse) or grouped by program (programId when present, else name). Pure, so
// the view memoizes it per tick and the tests run it without a DOM.
import type { ProcessSample } from '../../src-shared/domain';
import { processKey } from '../../src-shared/process-delta';
import { ALL_COLUMNS, columnById, compareBy, matchesSearch, sortByColumn } from './process-columns';
import { programKey } from '../../src-shared/identity';

export type ViewMode = 'flat' | 'tree' | 'grouped';

export interface ProcessRow {
  kind: 'process';
  key: string;
  process: ProcessSample;
  depth: number;
  hasChildren: boolean;
  expanded: boolean;
}
export interface GroupRow {
  kind: 'group';
  key: string;
  programId: string;
  /** Aggregate over the members, shaped like a process so columns can read it. */
  process: ProcessSample;
  members: ProcessSample[];
  depth: 0;
  hasChildren: true;
  expanded: boolean;
}
export type DisplayRow = ProcessRow | GroupRow;

/** A process row's key: pid and start time (the identity the agent's tick deltas use too). */
export { processKey };

/** The program a process belongs to: its programId, else its name. */
export const programOf: (process: ProcessSample) => string = programKey;

/** Fields summed over a group's members; every other column shows blank on a group row. */
export const GROUP_SUM_FIELDS = [
  'cpuPercent',
  'cpuUserPercent',
  'cpuSystemPercent',
  'cpuTimeMs',
  'rssBytes',
  'vmsBytes',
  'swapBytes',
  'privateBytes',
  'minorFaultsPerSec',
  'majorFaultsPerSec',
  'readBytesPerSec',
  'writeBytesPerSec',
  'readSyscallsPerSec',
  'writeSyscallsPerSec',
  'syscallsPerSec',
  'handleCount',
  'threads',
  'voluntaryCtxSwitchesPerSec',
  'involuntaryCtxSwitchesPerSec',
  'ctxSwitchesPerSec',
  'runQueueWaitMsPerSec',
] as const satisfies readonly (keyof ProcessSample)[];
export const GROUP_COLUMN_IDS: ReadonlySet<string> = new Set<string>(['name', 'user', 'programId', 'ioBytesPerSec', ...GROUP_SUM_FIELDS]);

function aggregate(programId: string, members: ProcessSample[]): ProcessSample {
  const first = members[0]!;
  const total: Record<string, unknown> = {
    pid: first.pid,
    ppid: 0,
    startTime: first.startTime,
    startedAtMs: Math.min(...members.map((m) => m.startedAtMs)),
    name: first.name,
    cmdline: '',
    user: members.every((m) => m.user === first.user) ? first.user : 'several',
    state: 'unknown',
    threads: 0,
    nice: first.nice,
    cpuPercent: 0,
    rssBytes: 0,
    programId,
  };
  for (const field of GROUP_SUM_FIELDS) {
    let sum: number | undefined;
    for (const member of members) {
      const value = member[field];
      if (typeof value === 'number') sum = (sum ?? 0) + value;
    }
    if (sum !== undefined) total[field] = sum;
  }
  return total as ProcessSample;
}

export interface RowOptions {
  mode: ViewMode;
  filter: string;
  sort: { column: string; direction: 'asc' | 'desc' };
  /** Tree: keys of collapsed processes (default expanded). Grouped: keys of expanded groups (default collapsed). */
  collapsed: ReadonlySet<string>;
  expandedGroups: ReadonlySet<string>;
}

/**
 * The rows for these options. `previous`: the rows built for the previous tick with the same mode,
 * sort and filter; flat mode then starts from their order (processes that are gone dropped, new ones
 * appended), so when the order did not change the sort is a single O(n) check.
 */
export function buildRows(processes: readonly ProcessSample[], options: RowOptions, previous?: readonly DisplayRow[]): DisplayRow[] {
  const needle = options.filter.trim().toLowerCase();
  const column = columnById(options.sort.column) ?? ALL_COLUMNS[0]!;
  if (options.mode === 'grouped') return groupedRows(processes, needle, compareBy(column, options.sort.direction), options.expandedGroups);
  if (options.mode === 'tree') return treeRows(processes, needle, compareBy(column, options.sort.direction), options.collapsed);
  const list = needle ? processes.filter((p) => matchesSearch(p, needle)) : processes.slice();
  // Keys of the previous rows for processes that are still here, to reuse their strings.
  const previousRows = previous && previous.length > 0 ? reuseOrder(list, previous) : undefined;
  sortByColumn(list, column, options.sort.direction);
  const out: DisplayRow[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const process = list[i]!;
    const before = previousRows?.get(process);
    // Most processes are the same object as last tick (the tick delta keeps unchanged ones): their
    // flat row is too, so a tick allocates rows only for what changed.
    if (before && before.process === process && before.depth === 0 && !before.hasChildren && !before.expanded) out[i] = before;
    else out[i] = { kind: 'process', key: before?.key ?? processKey(process), process, depth: 0, hasChildren: false, expanded: false };
  }
  return out;
}

/**
 * Reorder `list` in place into the previous rows' order (then the new processes in list order);
 * returns each process's previous row (for its key, and the row itself when nothing changed).
 */
function reuseOrder(list: ProcessSample[], previous: readonly DisplayRow[]): Map<ProcessSample, ProcessRow> | undefined {
  const byPid = new Map<number, ProcessSample>();
  for (const process of list) byPid.set(process.pid, process);
  if (byPid.size !== list.length) return undefined; // a pid twice (racy sample): keep every entry, plain sort
  const rows = new Map<ProcessSample, ProcessRow>();
  let n = 0;
  for (const row of previous) {
    // Only process rows carry a process's key; a group or tree row from another mode must not lend its key.
    if (row.kind !== 'process') continue;
    const before = row.process;
    const now = byPid.get(before.pid);
    if (!now || now.startTime !== before.startTime) continue;
    byPid.delete(before.pid);
    rows.set(now, row);
    list[n++] = now;
  }
  for (const process of byPid.values()) list[n++] = process;
  list.length = n;
  return rows;
}

function groupedRows(
  processes: readonly ProcessSample[],
  needle: string,
  compare: (a: ProcessSample, b: ProcessSample) => number,
  expandedGroups: ReadonlySet<string>,
): DisplayRow[] {
  const groups = new Map<string, ProcessSample[]>();
  for (const process of processes) {
    if (!matchesSearch(process, needle)) continue;
    const program = programOf(process);
    let members = groups.get(program);
    if (!members) groups.set(program, (members = []));
    members.push(process);
  }
  const groupRows: GroupRow[] = [];
  for (const [programId, members] of groups) {
    members.sort(compare);
    const key = `group:${programId}`;
    groupRows.push({
      kind: 'group',
      key,
      programId,
      process: aggregate(programId, members),
      members,
      depth: 0,
      hasChildren: true,
      expanded: expandedGroups.has(key),
    });
  }
  groupRows.sort((a, b) => compare(a.process, b.process));
  const rows: DisplayRow[] = [];
  for (const group of groupRows) {
    rows.push(group);
    if (!group.expanded) continue;
    for (const process of group.members) {
      rows.push({ kind: 'process', key: processKey(process), process, depth: 1, hasChildren: false, expanded: false });
    }
  }
  return rows;
}

function treeRows(
  processes: readonly ProcessSample[],
  needle: string,
  compare: (a: ProcessSample, b: ProcessSample) => number,
  collapsed: ReadonlySet<string>,
): DisplayRow[] {
  const byPid = new Map<number, ProcessSample>();
  for (const process of processes) byPid.set(process.pid, process);
  const children = new Map<number, ProcessSample[]>();
  const roots: ProcessSample[] = [];
  for (const process of processes) {
    const parent = process.ppid !== process.pid ? byPid.get(process.ppid) : undefined;
    if (!parent) roots.push(process);
    else {
      let list = children.get(parent.pid);
      if (!list) children.set(parent.pid, (list = []));
      list.push(process);
    }
  }
  // With a search, show the matches and their ancestors (so each match keeps its place in the tree).
  let keep: Set<number> | undefined;
  if (needle) {
    keep = new Set();
    for (const process of processes) {
      if (!matchesSearch(process, needle)) continue;
      let current: ProcessSample | undefined = process;
      let guard = 0;
      while (current && !keep.has(current.pid) && guard++ < 4096) {
        keep.add(current.pid);
        current = current.ppid !== current.pid ? byPid.get(current.ppid) : undefined;
      }
    }
  }
  const rows: DisplayRow[] = [];
  const seen = new Set<number>();
  const visit = (list: ProcessSample[], depth: number): void => {
    list.sort(compare);
    for (const process of list) {
      if (keep && !keep.has(process.pid)) continue;
      if (seen.has(process.pid)) continue; // a ppid cycle from a racy sample must not loop
      seen.add(process.pid);
      const key = processKey(process);
      const kids = children.get(process.pid);
      const visibleKids = kids && keep ? kids.filter((kid) => keep!.has(kid.pid)) : kids;
      const hasChildren = !!visibleKids && visibleKids.length > 0;
      const expanded = hasChildren && (!collapsed.has(key) || !!needle);
      rows.push({ kind: 'process', key, process, depth, hasChildren, expanded });
      if (expanded) visit(visibleKids!, depth + 1);
    }
  };
  visit(roots, 0);
  return rows;
}

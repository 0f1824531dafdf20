// Column definitions of the process table: how to read, compare and show each field.
import type { ProcessSample } from '../../src-shared/domain';
import { formatBytes, formatPercent } from '../../src-shared/format';

export interface ProcessColumn {
  id: string;
  label: string;
  /** CSS grid track size. */
  width: string;
  align: 'left' | 'right';
  value(process: ProcessSample): string | number | undefined;
  format(process: ProcessSample): string;
}

const num = (id: keyof ProcessSample & string, label: string, width: string, format: (value: number) => string): ProcessColumn => ({
  id,
  label,
  width,
  align: 'right',
  value: (p) => p[id] as number | undefined,
  format: (p) => {
    const value = p[id] as number | undefined;
    return value === undefined ? '–' : format(value);
  },
});
const text = (id: keyof ProcessSample & string, label: string, width: string): ProcessColumn => ({
  id,
  label,
  width,
  align: 'left',
  value: (p) => p[id] as string | undefined,
  format: (p) => String(p[id] ?? ''),
});

export const PROCESS_COLUMNS: readonly ProcessColumn[] = [
  text('name', 'Name', 'minmax(140px, 1.4fr)'),
  num('pid', 'PID', '72px', String),
  num('ppid', 'PPID', '72px', String),
  text('user', 'User', '100px'),
  text('state', 'State', '92px'),
  num('cpuPercent', 'CPU', '76px', (v) => formatPercent(v)),
  num('rssBytes', 'Memory', '96px', (v) => formatBytes(v)),
  num('threads', 'Threads', '72px', String),
  num('nice', 'Nice', '56px', String),
  {
    id: 'startedAtMs',
    label: 'Started',
    width: '86px',
    align: 'right',
    value: (p) => p.startedAtMs,
    format: (p) => new Date(p.startedAtMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
  },
  text('cmdline', 'Command line', 'minmax(200px, 3fr)'),
];

export function columnById(id: string): ProcessColumn | undefined {
  return PROCESS_COLUMNS.find((column) => column.id === id);
}

/** Text order: case-insensitive, numbers in text compared as numbers ("node2" < "node10"). */
export const textCollator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Filter by name, pid, user or command line (case-insensitive), then sort by a column. */
export function visibleProcesses(
  processes: readonly ProcessSample[],
  filter: string,
  sort: { column: string; direction: 'asc' | 'desc' },
): ProcessSample[] {
  const needle = filter.trim().toLowerCase();
  const rows = needle
    ? processes.filter(
        (p) =>
          p.name.toLowerCase().includes(needle) ||
          String(p.pid) === needle ||
          p.user.toLowerCase().includes(needle) ||
          p.cmdline.toLowerCase().includes(needle),
      )
    : processes.slice();
  const column = columnById(sort.column) ?? PROCESS_COLUMNS[0]!;
  const sign = sort.direction === 'asc' ? 1 : -1;
  rows.sort((a, b) => {
    const left = column.value(a);
    const right = column.value(b);
    let order: number;
    if (left === undefined || right === undefined) order = left === right ? 0 : left === undefined ? 1 : -1;
    else if (typeof left === 'number' && typeof right === 'number') order = (left - right) * sign;
    else order = textCollator.compare(String(left), String(right)) * sign;
    return order !== 0 ? order : a.pid - b.pid;
  });
  return rows;
}

import { describe, expect, it } from 'vitest';
import { buildRows, processKey, type DisplayRow, type RowOptions } from '../../../src-renderer/model/process-rows';
import type { ProcessSample } from '../../../src-shared/domain';
import { columnUnavailable, columnById, heatLevel } from '../../../src-renderer/model/process-columns';
import { fixtureProcess } from '../../helpers/sample-fixture';
import { indentPxFor } from '../../../src-renderer/components/process-table-painter';

const base: RowOptions = { mode: 'flat', filter: '', sort: { column: 'cpuPercent', direction: 'desc' }, collapsed: new Set(), expandedGroups: new Set() };
const procs = [
  fixtureProcess({ pid: 1, ppid: 0, name: 'init', cpuPercent: 0.1, user: 'root', cmdline: '/sbin/init' }),
  fixtureProcess({ pid: 10, ppid: 1, name: 'bash', cpuPercent: 2, user: 'alice', cmdline: 'bash -l' }),
  fixtureProcess({ pid: 11, ppid: 10, name: 'node', cpuPercent: 50, user: 'alice', cmdline: 'node server.js', programId: '/usr/bin/node' }),
  fixtureProcess({ pid: 12, ppid: 10, name: 'node', cpuPercent: 30, user: 'alice', cmdline: 'node worker.js', programId: '/usr/bin/node' }),
  fixtureProcess({ pid: 20, ppid: 1, name: 'sshd', cpuPercent: 1, user: 'root', cmdline: 'sshd: alice' }),
];

describe('buildRows', () => {
  it('flat: sorts by any column in both directions, absent values last', () => {
    expect(buildRows(procs, base).map((r) => r.process.pid)).toEqual([11, 12, 10, 20, 1]);
    expect(buildRows(procs, { ...base, sort: { column: 'pid', direction: 'asc' } }).map((r) => r.process.pid)).toEqual([1, 10, 11, 12, 20]);
    expect(buildRows(procs, { ...base, sort: { column: 'name', direction: 'asc' } }).map((r) => r.process.name)).toEqual(['bash', 'init', 'node', 'node', 'sshd']);
    const withIo = [fixtureProcess({ pid: 2, readBytesPerSec: 5 }), fixtureProcess({ pid: 3 }), fixtureProcess({ pid: 4, readBytesPerSec: 9 })];
    for (const direction of ['asc', 'desc'] as const) {
      const pids = buildRows(withIo, { ...base, sort: { column: 'readBytesPerSec', direction } }).map((r) => r.process.pid);
      expect(pids[2]).toBe(3);
    }
  });

  it('flat: filters by name, pid, user and command line', () => {
    const pids = (filter: string) => buildRows(procs, { ...base, filter }).map((r) => r.process.pid).sort((a, b) => a - b);
    expect(pids('NODE')).toEqual([11, 12]);
    expect(pids('20')).toEqual([20]);
    expect(pids('alice')).toEqual([10, 11, 12, 20]);
    expect(pids('worker.js')).toEqual([12]);
    expect(pids('nothing-matches')).toEqual([]);
  });

  it('tree: nests by ppid, collapses, and keeps ancestors of matches', () => {
    const rows = buildRows(procs, { ...base, mode: 'tree' });
    expect(rows.map((r) => [r.process.pid, r.depth])).toEqual([[1, 0], [10, 1], [11, 2], [12, 2], [20, 1]]);
    expect(rows[0]!.hasChildren).toBe(true);
    const collapsed = buildRows(procs, { ...base, mode: 'tree', collapsed: new Set([processKey(procs[1]!)]) });
    expect(collapsed.map((r) => r.process.pid)).toEqual([1, 10, 20]);
    expect(collapsed[1]!.expanded).toBe(false);
    const searched = buildRows(procs, { ...base, mode: 'tree', filter: 'worker' });
    expect(searched.map((r) => r.process.pid)).toEqual([1, 10, 12]);
  });

  it('tree: survives a ppid cycle', () => {
    const cyclic = [fixtureProcess({ pid: 5, ppid: 6 }), fixtureProcess({ pid: 6, ppid: 5 })];
    expect(buildRows(cyclic, { ...base, mode: 'tree' }).length).toBeLessThanOrEqual(2);
  });

  it('grouped: by programId else name, with totals, expandable', () => {
    const rows = buildRows(procs, { ...base, mode: 'grouped' });
    const node = rows.find((r) => r.kind === 'group' && r.programId === '/usr/bin/node');
    expect(node?.kind).toBe('group');
    expect(node!.process.cpuPercent).toBe(80);
    expect(rows[0]).toBe(node);
    expect(rows.filter((r) => r.kind === 'group')).toHaveLength(4);
    const expanded = buildRows(procs, { ...base, mode: 'grouped', expandedGroups: new Set([node!.key]) });
    expect(expanded.slice(0, 3).map((r) => (r.kind === 'group' ? 'group' : r.process.pid))).toEqual(['group', 11, 12]);
  });
});

describe('unavailable fields and heat', () => {
  it('maps "<part>:<reason>" entries to the fields they cover', () => {
    const p = fixtureProcess({ unavailable: ['io:permission', 'runQueueWaitMsPerSec:unsupported'] });
    expect(columnUnavailable(columnById('readBytesPerSec')!, p)).toEqual({ reason: 'permission', title: 'needs privileges' });
    expect(columnUnavailable(columnById('ioBytesPerSec')!, p)?.title).toBe('needs privileges');
    expect(columnUnavailable(columnById('runQueueWaitMsPerSec')!, p)?.title).toBe('not available on this OS');
    expect(columnUnavailable(columnById('swapBytes')!, p)).toBeUndefined();
    expect(columnUnavailable(columnById('readBytesPerSec')!, fixtureProcess({ readBytesPerSec: 0, unavailable: ['io:permission'] }))).toBeUndefined();
  });
  it('grades heat', () => {
    const scale = { logicalCores: 4, totalMemoryBytes: 8 * 2 ** 30 };
    expect(heatLevel('cpu', 0, scale)).toBe(0);
    expect(heatLevel('cpu', 100, scale)).toBe(4);
    expect(heatLevel('cpu', 20, scale)).toBe(2);
    expect(heatLevel('memory', 2 ** 30, scale)).toBe(4);
  });
});

describe('sorting from the previous order', () => {
  const many = (seed: number, count: number) => {
    let s = seed;
    const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    return Array.from({ length: count }, (_, i) =>
      fixtureProcess({ pid: 100 + i, name: `p${Math.floor(rand() * 50)}`, cpuPercent: rand() < 0.5 ? 0 : Math.round(rand() * 1000) / 10, rssBytes: Math.floor(rand() * 1e9) }),
    );
  };

  it('gives the same rows as a fresh sort, whatever the previous order, with exits and starts', () => {
    for (const column of ['cpuPercent', 'rssBytes', 'name', 'pid']) {
      for (const direction of ['asc', 'desc'] as const) {
        const options = { ...base, sort: { column, direction } };
        let previous = buildRows(many(1, 300), options);
        for (let tick = 2; tick < 6; tick++) {
          // Processes 100.. drop off the front and new ones appear, values all change.
          const next = many(tick, 300 + tick).slice(tick);
          const fresh = buildRows(next, options).map((r) => r.key);
          const reused = buildRows(next, options, previous);
          expect(reused.map((r) => r.key)).toEqual(fresh);
          previous = reused;
        }
      }
    }
  });

  it('keeps the row object of a process that is the same object as last tick; a changed process gets a new row', () => {
    const [init, bash, node] = procs as [ProcessSample, ProcessSample, ProcessSample];
    const first = buildRows([init, bash, node], base);
    const changedBash = { ...bash, cpuPercent: 70 };
    const next = buildRows([init, changedBash, node], base, first);
    const rowOf = (rows: readonly DisplayRow[], pid: number) => rows.find((row) => row.process.pid === pid)!;
    expect(rowOf(next, 1)).toBe(rowOf(first, 1));
    expect(rowOf(next, 11)).toBe(rowOf(first, 11));
    expect(rowOf(next, 10)).not.toBe(rowOf(first, 10));
    expect(rowOf(next, 10).process).toBe(changedBash);
    expect(next.map((row) => row.process.pid)).toEqual([10, 11, 1]);
    // Rows of another mode (tree: depth, children) are never lent to the flat list.
    const tree = buildRows([init, bash, node], { ...base, mode: 'tree' });
    const flat = buildRows([init, bash, node], base, tree);
    expect(rowOf(flat, 1)).not.toBe(rowOf(tree, 1));
    expect(flat.every((row) => row.depth === 0 && !row.hasChildren && !row.expanded)).toBe(true);
  });

  it('skips the sort when the list is already in order, and sorts when it is not', async () => {
    const { sortByColumn } = await import('../../../src-renderer/model/process-columns');
    const cpu = columnById('cpuPercent')!;
    const list = [fixtureProcess({ pid: 3, cpuPercent: 9 }), fixtureProcess({ pid: 1, cpuPercent: 5 }), fixtureProcess({ pid: 2, cpuPercent: 5 })];
    expect(sortByColumn(list, cpu, 'desc')).toBe(false);
    expect(list.map((p) => p.pid)).toEqual([3, 1, 2]);
    const swapped = [list[1]!, list[0]!, list[2]!];
    expect(sortByColumn(swapped, cpu, 'desc')).toBe(true);
    expect(swapped.map((p) => p.pid)).toEqual([3, 1, 2]);
    // Ties are ordered by pid, so a tie in the wrong pid order is not "sorted".
    const tie = [list[0]!, list[2]!, list[1]!];
    expect(sortByColumn(tie, cpu, 'desc')).toBe(true);
    expect(tie.map((p) => p.pid)).toEqual([3, 1, 2]);
  });
});


describe('tree indentation', () => {
  it('keeps deep names visible: full steps first, then small ones, capped', () => {
    expect([0, 1, 6, 7, 10].map(indentPxFor)).toEqual([0, 12, 72, 75, 84]);
    expect(indentPxFor(100)).toBe(120);
  });
});

describe('switching modes', () => {
  it('a flat list built after the grouped view keys every row by its process, never by a group', () => {
    const procs = [
      fixtureProcess({ pid: 10, startTime: 100, name: 'foo', programId: '/usr/bin/foo', cpuPercent: 5 }),
      fixtureProcess({ pid: 11, startTime: 110, name: 'foo', programId: '/usr/bin/foo', cpuPercent: 1 }),
      fixtureProcess({ pid: 12, startTime: 120, name: 'bar', programId: '/usr/bin/bar', cpuPercent: 3 }),
    ];
    const options: RowOptions = { mode: 'grouped', filter: '', sort: { column: 'cpuPercent', direction: 'desc' }, collapsed: new Set(), expandedGroups: new Set() };
    const grouped = buildRows(procs, options);
    expect(grouped.some((row) => row.kind === 'group')).toBe(true);
    const flat = buildRows(procs, { ...options, mode: 'flat' }, grouped);
    expect(flat.map((row) => row.key).sort()).toEqual(procs.map((p) => processKey(p)).sort());
  });
});

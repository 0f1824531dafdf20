import { describe, expect, it } from 'vitest';
import { createProcessIndex, indexOf } from '../../../src-main/engine/process-index';
import { proc } from '../../fixtures/samples/builder';

describe('process index', () => {
  it('finds this tick’s processes by key and pid, and counts live children', () => {
    const parent = proc({ pid: 10, name: 'make' });
    const a = proc({ pid: 11, name: 'cc1', ppid: 10 });
    const b = proc({ pid: 12, name: 'cc1', ppid: 10 });
    const orphan = proc({ pid: 13, name: 'x', ppid: 999 });
    const index = indexOf([parent, a, b, orphan]);
    expect(index.get(`${a.pid}:${a.startTime}`)).toBe(a);
    expect(index.byPid(12)).toBe(b);
    expect(index.has(`${b.pid}:${b.startTime}`)).toBe(true);
    expect(index.has('12:0')).toBe(false);
    expect(index.childCount(10)).toBe(2);
    // A parent that is not in the sample is not a parent here.
    expect(index.childCount(999)).toBe(0);
    const parents: Array<[number, number]> = [];
    index.forEachParent((pid, n) => parents.push([pid, n]));
    expect(parents).toEqual([[10, 2]]);
  });

  it('says unchanged only for the identical object handed over in two consecutive ticks', () => {
    const index = createProcessIndex();
    const idle = proc({ pid: 20, name: 'idle' });
    index.update([idle]);
    expect(index.unchanged(idle)).toBe(false); // first seen: nothing to compare with
    index.update([idle]);
    expect(index.unchanged(idle)).toBe(true);
    const moved = { ...idle, cpuPercent: 5 };
    index.update([moved]);
    expect(index.unchanged(moved)).toBe(false);
    expect(index.unchanged(idle)).toBe(false);
    // Absent for a tick, then back with the same object: not "unchanged since last tick".
    index.update([]);
    index.update([moved]);
    expect(index.unchanged(moved)).toBe(false);
  });

  it('drops processes that are gone, and a reused pid points at the new process', () => {
    const index = createProcessIndex();
    const old = proc({ pid: 30, name: 'old', startTime: 100 });
    const other = proc({ pid: 31, name: 'other', ppid: 30 });
    index.update([old, other]);
    const reused = proc({ pid: 30, name: 'new', startTime: 200 });
    index.update([reused]);
    expect(index.has(`30:200`)).toBe(true);
    expect(index.has(`30:100`)).toBe(false);
    expect(index.get(`30:100`)).toBeUndefined();
    expect(index.byPid(30)).toBe(reused);
    expect(index.byPid(31)).toBeUndefined();
    expect(index.childCount(30)).toBe(0);
  });
});

// This tick's processes by identity key and by pid, built once per tick and shared by every part of
// the engine (classifier, anomalies, the tree restrainer, housekeeping) instead of each building its
// own maps. Kept between ticks and updated in place: one entry object per live process for as long as
// it lives, so a tick with the same processes allocates nothing here. Pure: no I/O.
import type { ProcessSample } from '../../src-shared/domain';
import { processKey, type KeySet, type Unchanged } from './common';

interface Entry {
  key: string;
  cur: ProcessSample;
  /** Last tick's object, when the process was in last tick's sample. */
  prev: ProcessSample | undefined;
  /** The tick this entry was last seen in. */
  seen: number;
  /** Live children this tick (processes whose ppid is this pid). */
  children: number;
}

export interface ProcessIndex extends KeySet {
  get(key: string): ProcessSample | undefined;
  byPid(pid: number): ProcessSample | undefined;
  /** Live children of `pid` in this tick. */
  childCount(pid: number): number;
  /** Pids with at least one live child, with the count (the order of the sample). */
  forEachParent(visit: (pid: number, children: number) => void): void;
  /** The identical object as last tick: the process did not change (see `Unchanged`). */
  unchanged: Unchanged;
}

export interface MutableProcessIndex extends ProcessIndex {
  /** Make `processes` this tick's; entries of processes no longer present are dropped. */
  update(processes: readonly ProcessSample[]): void;
}

export function createProcessIndex(): MutableProcessIndex {
  const entries = new Map<string, Entry>();
  const pids = new Map<number, Entry>();
  let tick = 0;
  let parents: number[] = [];

  const live = (e: Entry | undefined): e is Entry => e !== undefined && e.seen === tick;

  return {
    update(processes) {
      tick++;
      for (const p of processes) {
        const key = processKey(p);
        let e = entries.get(key);
        if (e === undefined) {
          e = { key, cur: p, prev: undefined, seen: tick, children: 0 };
          entries.set(key, e);
        } else {
          e.prev = e.seen === tick - 1 ? e.cur : undefined;
          e.cur = p;
          e.seen = tick;
          e.children = 0;
        }
        if (pids.get(p.pid) !== e) pids.set(p.pid, e);
      }
      parents = [];
      for (const p of processes) {
        if (p.ppid <= 0) continue;
        const parent = pids.get(p.ppid);
        if (!live(parent)) continue;
        if (parent.children++ === 0) parents.push(p.ppid);
      }
      // Deleting the entry being visited is safe while iterating a Map.
      entries.forEach((e, key) => {
        if (e.seen !== tick) entries.delete(key);
      });
      pids.forEach((e, pid) => {
        if (e.seen !== tick || e.cur.pid !== pid) pids.delete(pid);
      });
    },
    has: (key) => live(entries.get(key)),
    get: (key) => {
      const e = entries.get(key);
      return live(e) ? e.cur : undefined;
    },
    byPid: (pid) => {
      const e = pids.get(pid);
      return live(e) ? e.cur : undefined;
    },
    childCount: (pid) => {
      const e = pids.get(pid);
      return live(e) ? e.children : 0;
    },
    forEachParent(visit) {
      for (const pid of parents) visit(pid, pids.get(pid)!.children);
    },
    unchanged: (p) => {
      const e = entries.get(processKey(p));
      return live(e) && e.prev === p && e.cur === p;
    },
  };
}

/** An index of one sample's processes (for callers outside the engine's tick, and tests). */
export function indexOf(processes: readonly ProcessSample[]): ProcessIndex {
  const index = createProcessIndex();
  index.update(processes);
  return index;
}

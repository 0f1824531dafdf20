// One running core per data directory. A second instance must not "restore after an unclean stop"
// the changes the first one still has in force. A lock file holds the owner's pid; a lock whose
// owner is gone is stale and taken over.
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The data directory is in use by another running instance: a person's situation, not a bug (no stack trace). */
export class InstanceLockedError extends Error {
  constructor(
    readonly ownerPid: number,
    readonly dataDir: string,
  ) {
    super(
      `another Allot instance (pid ${ownerPid}) is already running with the data directory ${dataDir}. ` +
        'Use that one (its window, or the URL `allot serve` printed), or stop it first; ' +
        'to run a second one side by side, give it another data directory (--data-dir DIR).',
    );
    this.name = 'InstanceLockedError';
  }
}

export interface InstanceLock {
  readonly path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid of a live instance holding this data directory, if any (a read-only look, for a front end's early check). */
export function instanceLockOwner(dataDir: string): number | undefined {
  let owner = NaN;
  try {
    owner = Number(readFileSync(join(dataDir, 'allot.lock'), 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner) ? owner : undefined;
}

/** Locks this process holds (a lock naming our own pid but not listed here is stale: pid reuse after a reboot). */
const heldHere = new Set<string>();

export function acquireInstanceLock(dataDir: string, pid: number = process.pid): InstanceLock {
  const path = join(dataDir, 'allot.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      heldHere.add(path);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          heldHere.delete(path);
          try {
            if (readFileSync(path, 'utf8').trim() === String(pid)) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      let owner = NaN;
      try {
        owner = Number(readFileSync(path, 'utf8').trim());
      } catch {
        // vanished between open and read: try again
      }
      const ours = owner === pid;
      if (Number.isInteger(owner) && owner > 0 && (ours ? heldHere.has(path) : alive(owner))) {
        throw new InstanceLockedError(owner, dataDir);
      }
      try {
        unlinkSync(path); // stale: its owner is gone
      } catch {
        // someone else removed it
      }
    }
  }
  throw new Error(`could not take the instance lock ${path}`);
}

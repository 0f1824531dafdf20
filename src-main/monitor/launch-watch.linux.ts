// Early sight of a launch that matters (Linux). The engine acts on samples, one per interval (1 s by
// default), so a build's first compiler is first seen up to a second after it started, and that
// second is when the programs in use are slowed most (issue 12: the probe's p99 is made in the
// build's first second; from 3 s on it is close to unloaded). Every `periodMs` this reads
// /proc/loadavg, whose fifth field is the last pid the kernel handed out; when it moved, the new pids
// (newest first, at most `maxScan`) are looked up by name (/proc/PID/comm), and when one is a program
// the rules lower at launch (`watched`), `onLaunch` asks for a sample now instead of at the next tick.
// Cost while nothing starts: one read of a 50-byte file per period; per new process, one more read.
// Thread ids come from the same counter: a thread's comm is its thread name, which only wakes the
// sampler early if it happens to match (harmless). Pid wrap is handled; a pid the scan misses is
// simply seen at the next regular tick.
import { readFileSync } from 'node:fs';

export interface LaunchWatchOptions {
  /** Whether a process name is one the rules act on at launch. */
  watched: (comm: string) => boolean;
  onLaunch: (pid: number, comm: string) => void;
  /** Default 250 ms. */
  periodMs?: number;
  /** Most new pids looked up per period (newest first). Default 512. */
  maxScan?: number;
  /** Injectable for tests. */
  read?: (path: string) => string | undefined;
}

export interface LaunchWatch {
  start(): void;
  stop(): void;
  /** One check now (what the timer runs); returns the pids that matched. */
  check(): number[];
}

const readText = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** The fifth field of /proc/loadavg: "0.50 0.40 0.30 2/345 12345". */
export function lastPidOf(loadavg: string | undefined): number | undefined {
  if (!loadavg) return undefined;
  const field = loadavg.trim().split(/\s+/)[4];
  const pid = Number(field);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function createLaunchWatch(options: LaunchWatchOptions): LaunchWatch {
  const read = options.read ?? readText;
  const periodMs = options.periodMs ?? 250;
  const maxScan = options.maxScan ?? 512;
  const pidMax = Number(read('/proc/sys/kernel/pid_max')?.trim()) || 4_194_304;
  let last = lastPidOf(read('/proc/loadavg'));
  let timer: ReturnType<typeof setInterval> | undefined;

  function check(): number[] {
    const now = lastPidOf(read('/proc/loadavg'));
    if (now === undefined || last === undefined || now === last) {
      last = now ?? last;
      return [];
    }
    const from = last;
    last = now;
    const matched: number[] = [];
    // Newest first: now, now-1, ... back to from+1 (across a wrap: down to 1, then pidMax down).
    let pid = now;
    for (let n = 0; n < maxScan && pid !== from; n++) {
      const comm = read(`/proc/${pid}/comm`)?.trim();
      if (comm && options.watched(comm)) {
        matched.push(pid);
        options.onLaunch(pid, comm);
        break; // one wake-up is enough: the sample that follows sees every new process
      }
      pid = pid > 1 ? pid - 1 : pidMax;
    }
    return matched;
  }

  return {
    check,
    start() {
      if (timer) return;
      last = lastPidOf(read('/proc/loadavg')) ?? last;
      timer = setInterval(check, periodMs);
      timer.unref?.();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}

// Linux libc calls the collector needs and Node has no API for, through koffi (loaded lazily, so a
// missing or broken native module only turns these values into "unsupported"):
//   syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, pid), sysconf(_SC_CLK_TCK / _SC_PAGESIZE),
//   getrlimit(RLIMIT_NOFILE).
import { koffiSync, loadLibc, syscallNumber } from '../native/libc.linux';

interface Native {
  syscall3: (nr: number, a: number, b: number) => number;
  sysconf: (name: number) => number;
  getrlimit: (resource: number, out: { cur: number | bigint; max: number | bigint }) => number;
  errno: () => number;
}

let native: Native | null | undefined;

function load(): Native | null {
  if (native !== undefined) return native;
  try {
    const koffi = koffiSync();
    const libc = loadLibc();
    if (!libc) return (native = null);
    // syscall(2) is variadic; its integer arguments travel in the same registers as a fixed
    // prototype on x86_64 and arm64, and glibc's syscall() reads none from a va_list. A fixed
    // prototype avoids koffi's slower variadic path (~0.6 µs per call measured here).
    const syscall3 = libc.func('long syscall(long, long, long)') as unknown as Native['syscall3'];
    const sysconf = libc.func('long sysconf(int)') as unknown as Native['sysconf'];
    const rlimit = koffi.struct('allot_rlimit', { cur: 'uint64', max: 'uint64' });
    const getrlimit = libc.func('int getrlimit(int, _Out_ allot_rlimit *)') as unknown as Native['getrlimit'];
    void rlimit;
    native = { syscall3, sysconf, getrlimit, errno: () => koffi.errno() };
  } catch {
    native = null;
  }
  return native;
}

const IOPRIO_WHO_PROCESS = 1;

export type IoprioResult = { ok: true; value: number } | { ok: false; reason: 'gone' | 'permission' | 'unsupported' };

/** ioprio_get(IOPRIO_WHO_PROCESS, pid): the raw value (class << 13 | data). */
export function ioprioGet(pid: number): IoprioResult {
  const n = load();
  const nr = syscallNumber('ioprio_get');
  if (!n || nr === undefined) return { ok: false, reason: 'unsupported' };
  const v = n.syscall3(nr, IOPRIO_WHO_PROCESS, pid);
  if (v >= 0) return { ok: true, value: v };
  const errno = n.errno();
  if (errno === 3) return { ok: false, reason: 'gone' }; // ESRCH
  if (errno === 1 || errno === 13) return { ok: false, reason: 'permission' };
  return { ok: false, reason: 'unsupported' };
}

/** sysconf(_SC_CLK_TCK); 100 (USER_HZ on every Linux ABI) if libc cannot be asked. */
export function clockTicksPerSec(): number {
  const v = load()?.sysconf(2);
  return v !== undefined && v > 0 ? v : 100;
}

/** sysconf(_SC_PAGESIZE); 4096 if libc cannot be asked. */
export function pageSizeBytes(): number {
  const v = load()?.sysconf(30);
  return v !== undefined && v > 0 ? v : 4096;
}

/** Soft RLIMIT_NOFILE, or undefined when it cannot be read. */
export function openFileLimit(): number | undefined {
  const n = load();
  if (!n) return undefined;
  const out = { cur: 0 as number | bigint, max: 0 as number | bigint };
  if (n.getrlimit(7, out) !== 0) return undefined;
  const cur = Number(out.cur);
  return Number.isFinite(cur) && cur > 0 ? Math.min(cur, 1 << 30) : undefined;
}

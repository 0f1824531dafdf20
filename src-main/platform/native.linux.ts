// Linux system calls Node has no API for, through koffi (libc.so.6): sched_setaffinity /
// sched_getaffinity (libc wrappers), and via syscall(2): ioprio_set / ioprio_get, pidfd_open,
// pidfd_send_signal, sched_setattr / sched_getattr (uclamp), plus poll(2) on a pidfd.
// Syscall numbers come from native/libc.linux.ts; an architecture it does not know reports ENOSYS.
// Every function returns a number or { errno } and never throws.
import { lastErrno, loadLibc, syscallNumber, type SyscallName } from '../native/libc.linux';
import type { NativeFunction } from '../native/koffi';

export interface Errno {
  errno: number;
}
const ENOSYS = 38;

interface Bindings {
  syscall: NativeFunction;
  getaffinity: NativeFunction;
  setaffinity: NativeFunction;
  poll: NativeFunction;
  close: NativeFunction;
}
let bindings: Bindings | null | undefined;

function lib(): Bindings | null {
  if (bindings !== undefined) return bindings;
  try {
    const libc = loadLibc();
    if (!libc) return (bindings = null);
    bindings = {
      syscall: libc.func('long syscall(long number, ...)'),
      getaffinity: libc.func('int sched_getaffinity(int pid, size_t size, _Out_ uint8_t *mask)'),
      setaffinity: libc.func('int sched_setaffinity(int pid, size_t size, const uint8_t *mask)'),
      poll: libc.func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)'),
      close: libc.func('int close(int fd)'),
    };
  } catch {
    bindings = null;
  }
  return bindings;
}

/** True when libc loaded and this architecture's syscall numbers are known. */
export function nativeAvailable(): boolean {
  return lib() !== null && syscallNumber('pidfd_open') !== undefined;
}

function sys(name: SyscallName, ...args: unknown[]): number | Errno {
  const b = lib();
  const nr = syscallNumber(name);
  if (!b || nr === undefined) return { errno: ENOSYS };
  const result = Number(b.syscall(nr, ...args));
  if (result < 0) return { errno: lastErrno() };
  return result;
}

export function isErrno(value: unknown): value is Errno {
  return typeof value === 'object' && value !== null && 'errno' in value;
}

// ---- pidfd ----

export function pidfdOpen(pid: number): number | Errno {
  return sys('pidfd_open', 'int', pid, 'uint', 0);
}

export function pidfdSendSignal(pidfd: number, signal: number): number | Errno {
  return sys('pidfd_send_signal', 'int', pidfd, 'int', signal, 'void *', null, 'uint', 0);
}

/** True once the process behind the pidfd has exited (pidfd becomes readable). */
export function pidfdExited(pidfd: number): boolean {
  const b = lib();
  if (!b) return false;
  const fds = Buffer.alloc(8); // struct pollfd { int fd; short events; short revents; }
  fds.writeInt32LE(pidfd, 0);
  fds.writeInt16LE(0x1, 4); // POLLIN
  const n = Number(b.poll(fds, 1, 0));
  return n > 0 && (fds.readInt16LE(6) & 0x1) !== 0;
}

export function closeFd(fd: number): void {
  lib()?.close(fd);
}

// ---- affinity ----

const MASK_BYTES = 512; // 4096 CPUs

export function getAffinity(tid: number): number[] | Errno {
  const b = lib();
  if (!b) return { errno: ENOSYS };
  const mask = Buffer.alloc(MASK_BYTES);
  if (Number(b.getaffinity(tid, MASK_BYTES, mask)) < 0) return { errno: lastErrno() };
  const cpus: number[] = [];
  for (let byte = 0; byte < MASK_BYTES; byte++) {
    const bits = mask[byte] ?? 0;
    if (bits === 0) continue;
    for (let bit = 0; bit < 8; bit++) if (bits & (1 << bit)) cpus.push(byte * 8 + bit);
  }
  return cpus;
}

export function setAffinity(tid: number, cpus: readonly number[]): number | Errno {
  const b = lib();
  if (!b) return { errno: ENOSYS };
  const mask = Buffer.alloc(MASK_BYTES);
  for (const cpu of cpus) {
    const byte = cpu >> 3;
    if (byte >= MASK_BYTES) return { errno: 22 };
    mask[byte] = (mask[byte] ?? 0) | (1 << (cpu & 7));
  }
  if (Number(b.setaffinity(tid, MASK_BYTES, mask)) < 0) return { errno: lastErrno() };
  return 0;
}

// ---- I/O priority ----

const IOPRIO_WHO_PROCESS = 1;
const IOPRIO_CLASS_SHIFT = 13;
export const IOPRIO_CLASSES = ['none', 'realtime', 'best-effort', 'idle'] as const;
export type IoprioClassName = (typeof IOPRIO_CLASSES)[number];

export function ioprioGet(tid: number): { ioClass: IoprioClassName; level: number } | Errno {
  const raw = sys('ioprio_get', 'int', IOPRIO_WHO_PROCESS, 'int', tid);
  if (isErrno(raw)) return raw;
  const ioClass = IOPRIO_CLASSES[raw >> IOPRIO_CLASS_SHIFT] ?? 'none';
  return { ioClass, level: raw & 0x7 };
}

export function ioprioSet(tid: number, ioClass: IoprioClassName, level: number): number | Errno {
  const classNumber = IOPRIO_CLASSES.indexOf(ioClass);
  const value = (classNumber << IOPRIO_CLASS_SHIFT) | (ioClass === 'idle' || ioClass === 'none' ? 0 : level & 0x7);
  return sys('ioprio_set', 'int', IOPRIO_WHO_PROCESS, 'int', tid, 'int', value);
}

// ---- sched_attr (uclamp) ----

const SCHED_ATTR_SIZE = 56;
const SCHED_FLAG_KEEP_POLICY = 0x08;
const SCHED_FLAG_KEEP_PARAMS = 0x10;
const SCHED_FLAG_UTIL_CLAMP_MAX = 0x40;
/** 1024 = no clamp. */
export const UCLAMP_MAX_NONE = 1024;

/** Upper utilization clamp of one thread (0..1024). */
export function getUtilClampMax(tid: number): number | Errno {
  const attr = Buffer.alloc(SCHED_ATTR_SIZE);
  const r = sys('sched_getattr', 'int', tid, 'uint8_t *', attr, 'uint', SCHED_ATTR_SIZE, 'uint', 0);
  if (isErrno(r)) return r;
  if (attr.readUInt32LE(0) < SCHED_ATTR_SIZE) return { errno: ENOSYS }; // kernel without uclamp fields
  return attr.readUInt32LE(52);
}

export function setUtilClampMax(tid: number, utilMax: number): number | Errno {
  const attr = Buffer.alloc(SCHED_ATTR_SIZE);
  attr.writeUInt32LE(SCHED_ATTR_SIZE, 0);
  attr.writeBigUInt64LE(BigInt(SCHED_FLAG_KEEP_POLICY | SCHED_FLAG_KEEP_PARAMS | SCHED_FLAG_UTIL_CLAMP_MAX), 8);
  attr.writeUInt32LE(0, 48); // util_min (ignored without UTIL_CLAMP_MIN)
  attr.writeUInt32LE(utilMax, 52);
  return sys('sched_setattr', 'int', tid, 'uint8_t *', attr, 'uint', 0);
}

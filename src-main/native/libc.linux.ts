// The C library on Linux, through koffi, loaded once (lazily, so a missing or broken libc only turns
// the values that need it into "unsupported"), and the one table of syscall numbers for
// the calls glibc has no wrapper for. Used by the collector (monitor/native.linux.ts), the adapter
// (platform/native.linux.ts) and page-cache warming (platform/prefetch.ts).
// koffi is imported statically here (not through createRequire): the privileged helper's bundle
// (scripts/build-helper.mjs) resolves the 'koffi' import to fixed paths next to it.
import koffi from 'koffi';
import type { NativeLibrary } from './koffi';

let libc: NativeLibrary | null | undefined;

/** koffi itself (for structs and errno next to libc calls). */
export function koffiSync(): typeof koffi {
  return koffi;
}

/** libc.so.6, or null when koffi or the library cannot be loaded. */
export function loadLibc(): NativeLibrary | null {
  if (libc !== undefined) return libc;
  try {
    libc = koffi.load('libc.so.6');
  } catch {
    libc = null;
  }
  return libc;
}

/** errno of the last native call on this thread (0 without koffi). */
export function lastErrno(): number {
  return koffi.errno();
}

/** Syscall numbers by Node's process.arch (asm-generic for arm64, riscv64, loong64). */
const SYSCALLS: Partial<Record<string, Partial<Record<SyscallName, number>>>> = {
  x64: { ioprio_set: 251, ioprio_get: 252, pidfd_open: 434, pidfd_send_signal: 424, sched_setattr: 314, sched_getattr: 315 },
  arm64: { ioprio_set: 30, ioprio_get: 31, pidfd_open: 434, pidfd_send_signal: 424, sched_setattr: 274, sched_getattr: 275 },
  riscv64: { ioprio_set: 30, ioprio_get: 31, pidfd_open: 434, pidfd_send_signal: 424, sched_setattr: 274, sched_getattr: 275 },
  loong64: { ioprio_set: 30, ioprio_get: 31, pidfd_open: 434, pidfd_send_signal: 424, sched_setattr: 274, sched_getattr: 275 },
  arm: { ioprio_set: 314, ioprio_get: 315, pidfd_open: 434, pidfd_send_signal: 424, sched_setattr: 380, sched_getattr: 381 },
  ia32: { ioprio_set: 289, ioprio_get: 290, pidfd_open: 434, pidfd_send_signal: 424, sched_setattr: 351, sched_getattr: 352 },
};
export type SyscallName = 'ioprio_set' | 'ioprio_get' | 'pidfd_open' | 'pidfd_send_signal' | 'sched_setattr' | 'sched_getattr';

/** The syscall number on `arch` (default this process's), or undefined when not known. */
export function syscallNumber(name: SyscallName, arch: string = process.arch): number | undefined {
  return SYSCALLS[arch]?.[name];
}

// macOS actuation bindings through koffi, all from libSystem: getpriority/setpriority (PRIO_PROCESS for
// nice, PRIO_DARWIN_PROCESS for the background policy), kill(2), proc_pidinfo(PROC_PIDTBSDINFO) for
// identity, state and the guard's facts, proc_pidpath, geteuid.
//
// koffi is imported lazily inside `loadDarwinActuationApi()`, which refuses to run off darwin. The
// adapter only sees the `DarwinActuationApi` interface; tests implement it with a fake OS. Every
// method returns a value or the errno and never throws.
import { importKoffi } from '../native/koffi';
import { BSDINFO } from '../monitor/libproc.darwin';

export type DarwinCall<T> = { ok: true; value: T } | { ok: false; errno: number };

/** The proc_bsdinfo fields the adapter needs. */
export interface DarwinBsdFacts {
  pid: number;
  ppid: number;
  uid: number;
  /** pbi_status: 1 SIDL, 2 SRUN, 3 SSLEEP, 4 SSTOP, 5 SZOMB. */
  status: number;
  /** pbi_name when set, else pbi_comm. */
  name: string;
  nice: number;
  startTvSec: number;
  startTvUsec: number;
}

export interface DarwinActuationApi {
  /** proc_pidinfo(pid, PROC_PIDTBSDINFO). ESRCH: no such process; EPERM: not allowed. */
  bsdInfo(pid: number): DarwinCall<DarwinBsdFacts>;
  pidPath(pid: number): string | undefined;
  getpriority(which: number, who: number): DarwinCall<number>;
  setpriority(which: number, who: number, value: number): DarwinCall<void>;
  kill(pid: number, signal: number): DarwinCall<void>;
  isRoot(): boolean;
}

export const PRIO_PROCESS = 0;
export const PRIO_DARWIN_PROCESS = 4;
export const PRIO_DARWIN_BG = 0x1000;
export const PROC_PIDTBSDINFO = 3;
/** macOS signal numbers (SIGSTOP and SIGCONT differ from Linux). */
export const DARWIN_SIGNAL = { SIGKILL: 9, SIGTERM: 15, SIGSTOP: 17, SIGCONT: 19 } as const;
export const DARWIN_STATUS = { SSTOP: 4, SZOMB: 5 } as const;

/** Parse the 136-byte struct proc_bsdinfo (layout in monitor/libproc.darwin.ts). */
export function parseBsdInfo(bytes: Uint8Array): DarwinBsdFacts {
  if (bytes.byteLength < BSDINFO.sizeBytes) throw new Error(`proc_bsdinfo: ${bytes.byteLength} bytes, need ${BSDINFO.sizeBytes}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = (at: number, len: number): string => {
    const raw = bytes.subarray(at, at + len);
    const end = raw.indexOf(0);
    return new TextDecoder('utf-8').decode(end === -1 ? raw : raw.subarray(0, end));
  };
  const comm = text(BSDINFO.comm, BSDINFO.commBytes);
  return {
    pid: v.getUint32(BSDINFO.pid, true),
    ppid: v.getUint32(BSDINFO.ppid, true),
    uid: v.getUint32(BSDINFO.uid, true),
    status: v.getUint32(BSDINFO.status, true),
    name: text(BSDINFO.name, BSDINFO.nameBytes) || comm,
    nice: v.getInt32(BSDINFO.nice, true),
    startTvSec: Number(v.getBigUint64(BSDINFO.startTvSec, true)),
    startTvUsec: Number(v.getBigUint64(BSDINFO.startTvUsec, true)),
  };
}

/** Load the real macOS API. Throws with a clear message anywhere but darwin. */
export async function loadDarwinActuationApi(): Promise<DarwinActuationApi> {
  if (process.platform !== 'darwin') {
    throw new Error(`loadDarwinActuationApi: needs darwin, this is ${process.platform}`);
  }
  const koffi = await importKoffi();
  const lib = koffi.load('/usr/lib/libSystem.B.dylib');
  const proc_pidinfo = lib.func('int proc_pidinfo(int pid, int flavor, uint64_t arg, void *buffer, int buffersize)');
  const proc_pidpath = lib.func('int proc_pidpath(int pid, void *buffer, uint32_t buffersize)');
  const getpriority = lib.func('int getpriority(int which, uint32_t who)');
  const setpriority = lib.func('int setpriority(int which, uint32_t who, int prio)');
  const kill = lib.func('int kill(int pid, int sig)');
  const geteuid = lib.func('uint32_t geteuid(void)');
  const bsdBuf = Buffer.alloc(BSDINFO.sizeBytes);
  const pathBuf = Buffer.alloc(4096);
  const errnoOr = (fallback: number): number => koffi.errno() || fallback;

  return {
    bsdInfo(pid) {
      koffi.errno(0);
      const n = proc_pidinfo(pid, PROC_PIDTBSDINFO, 0, bsdBuf, bsdBuf.length) as number;
      if (n !== bsdBuf.length) return { ok: false, errno: errnoOr(3) };
      return { ok: true, value: parseBsdInfo(bsdBuf) };
    },
    pidPath(pid) {
      const n = proc_pidpath(pid, pathBuf, pathBuf.length) as number;
      return n > 0 ? pathBuf.toString('utf8', 0, n) : undefined;
    },
    getpriority(which, who) {
      // -1 is a valid nice: clear errno first and check it after.
      koffi.errno(0);
      const value = getpriority(which, who) as number;
      const errno = koffi.errno();
      return value === -1 && errno !== 0 ? { ok: false, errno } : { ok: true, value };
    },
    setpriority(which, who, value) {
      koffi.errno(0);
      return (setpriority(which, who, value) as number) === 0 ? { ok: true, value: undefined } : { ok: false, errno: errnoOr(1) };
    },
    kill(pid, signal) {
      koffi.errno(0);
      return (kill(pid, signal) as number) === 0 ? { ok: true, value: undefined } : { ok: false, errno: errnoOr(3) };
    },
    isRoot: () => (geteuid() as number) === 0,
  };
}

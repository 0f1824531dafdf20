// Linux /proc and /sys parsers. Pure functions over the bytes the kernel gave us (a Buffer plus a
// length, so the sampler can re-read every file into one reused Buffer without allocating), or over
// a small string for files read once. No I/O here: the sampler (sampler.linux.ts) does the reads.
//
// Hot-path parsers (stat, schedstat, io, status) scan bytes directly and never split the whole file
// into strings; the rest (system files, read once per tick) use plain string handling.
import type { ProcessState, SchedPolicy, IoClass } from '../../src-shared/domain';

// ---------------------------------------------------------------------------------------------
// Byte helpers

const SPACE = 0x20;
const NL = 0x0a;
const TAB = 0x09;
const MINUS = 0x2d;
const CLOSE_PAREN = 0x29;
const OPEN_PAREN = 0x28;

/** End position of the last readInt (a module-level cursor, so the hot path allocates nothing). */
let readEnd = 0;

/** Parse a (possibly negative) decimal integer starting at `pos` (leading blanks skipped); sets readEnd. */
function readInt(buf: Uint8Array, pos: number, end: number): number {
  while (pos < end && (buf[pos] === SPACE || buf[pos] === TAB)) pos++;
  let neg = false;
  if (buf[pos] === MINUS) {
    neg = true;
    pos++;
  }
  let value = 0;
  while (pos < end) {
    const c = buf[pos]!;
    if (c < 0x30 || c > 0x39) break;
    value = value * 10 + (c - 0x30);
    pos++;
  }
  readEnd = pos;
  return neg ? -value : value;
}

/** Value of the integer that follows `key` (e.g. "VmSwap:") in a key/value file, or undefined. */
function intAfterKey(buf: Buffer, len: number, key: string, from = 0): number | undefined {
  const at = buf.indexOf(key, from);
  if (at < 0 || at >= len) return undefined;
  return readInt(buf, at + key.length, len);
}

/** Text after `key` up to the end of its line. */
function lineAfterKey(buf: Buffer, len: number, key: string): string | undefined {
  const at = buf.indexOf(key, 0);
  if (at < 0 || at >= len) return undefined;
  let start = at + key.length;
  while (start < len && (buf[start] === TAB || buf[start] === SPACE)) start++;
  let end = buf.indexOf(NL, start);
  if (end < 0 || end > len) end = len;
  return buf.toString('latin1', start, end);
}

// ---------------------------------------------------------------------------------------------
// /proc/PID/stat

/** Fields of /proc/PID/stat this collector uses (numbers are the 1-based field numbers of proc(5)). */
export interface ProcStat {
  pid: number; // 1
  comm: string; // 2, without the parentheses
  stateChar: string; // 3
  ppid: number; // 4
  flags: number; // 9
  minflt: number; // 10
  majflt: number; // 12
  utimeTicks: number; // 14
  stimeTicks: number; // 15
  cutimeTicks: number; // 16, children that were waited for
  cstimeTicks: number; // 17
  priority: number; // 18
  nice: number; // 19
  threads: number; // 20
  startTime: number; // 22, clock ticks since boot
  vsizeBytes: number; // 23
  rssPages: number; // 24
  rtPriority: number; // 40
  policy: number; // 41
}

/** PF_KTHREAD in task flags (include/linux/sched.h). */
export const PF_KTHREAD = 0x00200000;

const statScratch = new Float64Array(64);

/**
 * Parse /proc/PID/stat. The name (field 2) may itself contain spaces and ')', so it is everything
 * between the first '(' and the LAST ')'. Returns undefined for a truncated or empty file.
 */
export function parseStat(buf: Buffer, len: number): ProcStat | undefined {
  if (len <= 0) return undefined;
  const open = buf.indexOf(OPEN_PAREN);
  const close = buf.lastIndexOf(CLOSE_PAREN, len - 1);
  if (open < 0 || close < open || close + 2 >= len) return undefined;
  const pid = readInt(buf, 0, open);
  const comm = buf.toString('utf8', open + 1, close);
  let pos = close + 2; // skip ") "
  const stateChar = String.fromCharCode(buf[pos]!);
  pos += 1;
  // Fields 4.. into statScratch[4..]; stop at the line end.
  let field = 4;
  while (pos < len && field <= 41) { // nothing past field 41 (policy) is used
    const c = buf[pos]!;
    if (c === NL) break;
    if (c === SPACE) {
      pos++;
      continue;
    }
    // Some fields (rsslim, signal masks) exceed 2^53; they are read approximately, which is fine as
    // none of the fields we use are among them.
    statScratch[field++] = readInt(buf, pos, len);
    pos = readEnd === pos ? pos + 1 : readEnd;
  }
  if (field <= 24) return undefined; // truncated
  return {
    pid,
    comm,
    stateChar,
    ppid: statScratch[4]!,
    flags: statScratch[9]!,
    minflt: statScratch[10]!,
    majflt: statScratch[12]!,
    utimeTicks: statScratch[14]!,
    stimeTicks: statScratch[15]!,
    cutimeTicks: statScratch[16]!,
    cstimeTicks: statScratch[17]!,
    priority: statScratch[18]!,
    nice: statScratch[19]!,
    threads: statScratch[20]!,
    startTime: statScratch[22]!,
    vsizeBytes: statScratch[23]!,
    rssPages: statScratch[24]!,
    rtPriority: field > 40 ? statScratch[40]! : 0,
    policy: field > 41 ? statScratch[41]! : 0,
  };
}

export function stateFromChar(c: string): ProcessState {
  switch (c) {
    case 'R':
      return 'running';
    case 'S':
      return 'sleeping';
    case 'D':
      return 'disk-sleep';
    case 'T':
      return 'stopped';
    case 't':
      return 'tracing-stop';
    case 'Z':
      return 'zombie';
    case 'X':
    case 'x':
      return 'dead';
    case 'I':
      return 'idle';
    case 'P': // parked kernel thread
    case 'K': // wakekill (old kernels)
    case 'W': // waking (old kernels)
      return 'sleeping';
    default:
      return 'unknown';
  }
}

const POLICIES: readonly SchedPolicy[] = ['other', 'fifo', 'rr', 'batch', 'iso', 'idle', 'deadline'];
export function schedPolicyFromNumber(n: number): SchedPolicy | undefined {
  return POLICIES[n];
}

export function isKernelThread(stat: Pick<ProcStat, 'pid' | 'ppid' | 'flags'>): boolean {
  return stat.pid === 2 || stat.ppid === 2 || (stat.flags & PF_KTHREAD) !== 0;
}

// ---------------------------------------------------------------------------------------------
// /proc/PID/schedstat: "<ns on cpu> <ns waiting on a runqueue> <timeslices>" (thread-group leader)

export interface ProcSchedstat {
  runNs: number;
  runDelayNs: number;
  timeslices: number;
}

export function parseSchedstat(buf: Buffer, len: number): ProcSchedstat | undefined {
  if (len <= 0) return undefined;
  const runNs = readInt(buf, 0, len);
  const runDelayNs = readInt(buf, readEnd, len);
  const p2 = readEnd;
  const timeslices = readInt(buf, p2, len);
  if (readEnd === p2) return undefined;
  return { runNs, runDelayNs, timeslices };
}

// ---------------------------------------------------------------------------------------------
// /proc/PID/io (whole thread group)

export interface ProcIo {
  rchar: number;
  wchar: number;
  syscr: number;
  syscw: number;
  readBytes: number;
  writeBytes: number;
  cancelledWriteBytes: number;
}

export function parseIo(buf: Buffer, len: number): ProcIo | undefined {
  if (len <= 0) return undefined;
  const rchar = intAfterKey(buf, len, 'rchar:');
  const wchar = intAfterKey(buf, len, 'wchar:');
  const syscr = intAfterKey(buf, len, 'syscr:');
  const syscw = intAfterKey(buf, len, 'syscw:');
  const readBytes = intAfterKey(buf, len, 'read_bytes:');
  const writeBytes = intAfterKey(buf, len, '\nwrite_bytes:');
  const cancelledWriteBytes = intAfterKey(buf, len, 'cancelled_write_bytes:') ?? 0;
  if (rchar === undefined || syscr === undefined || syscw === undefined || readBytes === undefined) return undefined;
  return {
    rchar,
    wchar: wchar ?? 0,
    syscr,
    syscw,
    readBytes,
    writeBytes: writeBytes ?? 0,
    cancelledWriteBytes,
  };
}

// ---------------------------------------------------------------------------------------------
// /proc/PID/status: only the lines we need, found with Buffer.indexOf (no full split)

export interface ProcStatus {
  uid?: number; // effective uid (what ps and top show as the owner)
  swapKb?: number; // VmSwap (absent for kernel threads)
  voluntaryCtxSwitches?: number; // thread-group leader only (see sampler header)
  involuntaryCtxSwitches?: number;
  cpusAllowedList?: string;
}

export function parseStatus(buf: Buffer, len: number): ProcStatus {
  return {
    uid: effectiveUid(buf, len),
    swapKb: intAfterKey(buf, len, '\nVmSwap:'),
    voluntaryCtxSwitches: intAfterKey(buf, len, '\nvoluntary_ctxt_switches:'),
    involuntaryCtxSwitches: intAfterKey(buf, len, '\nnonvoluntary_ctxt_switches:'),
    cpusAllowedList: lineAfterKey(buf, len, '\nCpus_allowed_list:'),
  };
}

/** "Uid:\treal\teffective\tsaved\tfs" -> effective. */
function effectiveUid(buf: Buffer, len: number): number | undefined {
  const at = buf.indexOf('\nUid:');
  if (at < 0 || at >= len) return undefined;
  readInt(buf, at + 5, len);
  const afterReal = readEnd;
  const euid = readInt(buf, afterReal, len);
  return readEnd === afterReal ? undefined : euid;
}

/** "0-3,8,10-11" -> [0,1,2,3,8,10,11]. Bad input gives []. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  const text = list.trim();
  if (text === '') return out;
  for (const part of text.split(',')) {
    const dash = part.indexOf('-');
    if (dash < 0) {
      const n = Number(part);
      if (Number.isInteger(n) && n >= 0) out.push(n);
    } else {
      const a = Number(part.slice(0, dash));
      const b = Number(part.slice(dash + 1));
      if (!Number.isInteger(a) || !Number.isInteger(b) || a < 0 || b < a || b - a > 65536) return [];
      for (let i = a; i <= b; i++) out.push(i);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Small per-process files read once or rarely

/** /proc/PID/cmdline: NUL-separated argv -> argv array (trailing NULs dropped). */
export function parseCmdline(buf: Buffer, len: number): string[] {
  if (len <= 0) return [];
  let end = len;
  while (end > 0 && buf[end - 1] === 0) end--;
  if (end === 0) return [];
  return buf.toString('utf8', 0, end).split('\0');
}

/** /proc/PID/autogroup: "/autogroup-123 nice 0". */
export function parseAutogroup(text: string): { autogroup: number; nice: number } | undefined {
  const m = /\/autogroup-(\d+)\s+nice\s+(-?\d+)/.exec(text);
  if (!m) return undefined;
  return { autogroup: Number(m[1]), nice: Number(m[2]) };
}

/**
 * /proc/PID/cgroup. On cgroup v2 (line "0::/path") returns that path; on v1 prefers the cpu
 * controller's path, then the systemd name=systemd line, then the first line.
 */
export function parseCgroup(text: string): string | undefined {
  let v2: string | undefined;
  let cpu: string | undefined;
  let named: string | undefined;
  let first: string | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const a = line.indexOf(':');
    const b = line.indexOf(':', a + 1);
    if (a < 0 || b < 0) continue;
    const controllers = line.slice(a + 1, b);
    const path = line.slice(b + 1);
    first ??= path;
    if (line.startsWith('0::')) v2 = path;
    else if (controllers.split(',').includes('cpu')) cpu = path;
    else if (controllers === 'name=systemd') named = path;
  }
  // A hybrid system shows "0::/" next to populated v1 lines; the v1 path is the informative one then.
  if (v2 !== undefined && (v2 !== '/' || (cpu === undefined && named === undefined))) return v2;
  return cpu ?? named ?? v2 ?? first;
}

/** readlink of /proc/PID/exe; a replaced binary reads "/path (deleted)": keep the path. */
export function normalizeExe(link: string): string {
  return link.endsWith(' (deleted)') ? link.slice(0, -' (deleted)'.length) : link;
}

/** /etc/passwd -> uid -> user name. */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(':');
    const uid = Number(parts[2]);
    if (parts[0] && Number.isInteger(uid) && !users.has(uid)) users.set(uid, parts[0]);
  }
  return users;
}

/** ioprio_get value -> class + level. Class "none" reports the effective level (nice+20)/5. */
export function decodeIoprio(value: number, nice: number): { ioClass: IoClass; ioLevel: number } {
  const cls = (value >> 13) & 0x7;
  const data = value & 0x1fff;
  const clamp = (n: number) => Math.max(0, Math.min(7, n));
  switch (cls) {
    case 1:
      return { ioClass: 'realtime', ioLevel: clamp(data) };
    case 2:
      return { ioClass: 'best-effort', ioLevel: clamp(data) };
    case 3:
      return { ioClass: 'idle', ioLevel: clamp(data) };
    default:
      return { ioClass: 'none', ioLevel: clamp(Math.floor((nice + 20) / 5)) };
  }
}

// ---------------------------------------------------------------------------------------------
// System-wide files

/** One cpu line of /proc/stat, in clock ticks. */
export interface CpuTimes {
  user: number;
  nice: number;
  system: number;
  idle: number;
  iowait: number;
  irq: number;
  softirq: number;
  steal: number;
}

export interface ProcStatSystem {
  total: CpuTimes;
  /** Indexed by core number (a sparse array when cores are offline). */
  cores: Array<CpuTimes | undefined>;
  ctxt?: number;
  bootTimeSec?: number;
  forks?: number;
  procsRunning?: number;
  procsBlocked?: number;
}

function cpuTimesOf(parts: string[]): CpuTimes {
  const n = (i: number) => Number(parts[i] ?? 0) || 0;
  return { user: n(1), nice: n(2), system: n(3), idle: n(4), iowait: n(5), irq: n(6), softirq: n(7), steal: n(8) };
}

export function parseProcStat(text: string): ProcStatSystem {
  const out: ProcStatSystem = {
    total: { user: 0, nice: 0, system: 0, idle: 0, iowait: 0, irq: 0, softirq: 0, steal: 0 },
    cores: [],
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu')) {
      const parts = line.split(/\s+/);
      const head = parts[0]!;
      if (head === 'cpu') out.total = cpuTimesOf(parts);
      else {
        const core = Number(head.slice(3));
        if (Number.isInteger(core) && core >= 0 && core < 65536) out.cores[core] = cpuTimesOf(parts);
      }
    } else if (line.startsWith('ctxt ')) out.ctxt = Number(line.slice(5));
    else if (line.startsWith('btime ')) out.bootTimeSec = Number(line.slice(6));
    else if (line.startsWith('processes ')) out.forks = Number(line.slice(10));
    else if (line.startsWith('procs_running ')) out.procsRunning = Number(line.slice(14));
    else if (line.startsWith('procs_blocked ')) out.procsBlocked = Number(line.slice(14));
  }
  return out;
}

/** /proc/meminfo -> key -> bytes (values given in kB are converted; unitless ones kept). */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const rest = line.slice(colon + 1).trim();
    const [num, unit] = rest.split(/\s+/);
    const v = Number(num);
    if (!Number.isFinite(v)) continue;
    out.set(line.slice(0, colon), unit === 'kB' ? v * 1024 : v);
  }
  return out;
}

/** /proc/vmstat (and any "key value" file) -> map. */
export function parseKeyValue(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const v = Number(line.slice(sp + 1));
    if (Number.isFinite(v)) out.set(line.slice(0, sp), v);
  }
  return out;
}

export interface DiskStat {
  major: number;
  minor: number;
  device: string;
  reads: number;
  sectorsRead: number;
  writes: number;
  sectorsWritten: number;
  ioTicksMs: number;
}

/** /proc/diskstats (sectors are always 512 bytes in this file). */
export function parseDiskstats(text: string): DiskStat[] {
  const out: DiskStat[] = [];
  for (const line of text.split('\n')) {
    const p = line.trim().split(/\s+/);
    if (p.length < 14) continue;
    out.push({
      major: Number(p[0]),
      minor: Number(p[1]),
      device: p[2]!,
      reads: Number(p[3]),
      sectorsRead: Number(p[5]),
      writes: Number(p[7]),
      sectorsWritten: Number(p[9]),
      ioTicksMs: Number(p[12]),
    });
  }
  return out;
}

/** Partition names when /sys/block is not there to ask (sda1, nvme0n1p2, mmcblk0p1, vda3, md0p1). */
export function looksLikePartition(device: string): boolean {
  return /^(?:[shv]d[a-z]+\d+|xvd[a-z]+\d+|nvme\d+n\d+p\d+|mmcblk\d+p\d+|md\d+p\d+|nbd\d+p\d+|loop\d+p\d+)$/.test(device);
}

export interface NetDevStat {
  iface: string;
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

export function parseNetDev(text: string): NetDevStat[] {
  const out: NetDevStat[] = [];
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    if (iface === '' || iface.includes('|')) continue;
    const p = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (p.length < 16 || p.some((n) => !Number.isFinite(n))) continue;
    out.push({ iface, rxBytes: p[0]!, rxPackets: p[1]!, txBytes: p[8]!, txPackets: p[9]! });
  }
  return out;
}

export interface PsiRaw {
  someAvg10: number;
  someAvg60: number;
  someAvg300: number;
  someTotalUs: number;
  full?: { avg10: number; avg60: number; avg300: number; totalUs: number };
}

/** /proc/pressure/{cpu,memory,io}. */
export function parsePressure(text: string): PsiRaw | undefined {
  const lines = new Map<string, Record<string, number>>();
  for (const line of text.split('\n')) {
    const [kind, ...kv] = line.trim().split(/\s+/);
    if (kind !== 'some' && kind !== 'full') continue;
    const rec: Record<string, number> = {};
    for (const pair of kv) {
      const eq = pair.indexOf('=');
      if (eq > 0) rec[pair.slice(0, eq)] = Number(pair.slice(eq + 1));
    }
    lines.set(kind, rec);
  }
  const some = lines.get('some');
  if (!some || !Number.isFinite(some.avg10) || !Number.isFinite(some.total)) return undefined;
  const full = lines.get('full');
  return {
    someAvg10: some.avg10 ?? 0,
    someAvg60: some.avg60 ?? 0,
    someAvg300: some.avg300 ?? 0,
    someTotalUs: some.total ?? 0,
    full:
      full && Number.isFinite(full.total)
        ? { avg10: full.avg10 ?? 0, avg60: full.avg60 ?? 0, avg300: full.avg300 ?? 0, totalUs: full.total ?? 0 }
        : undefined,
  };
}

export function parseLoadavg(text: string): [number, number, number] | undefined {
  const p = text.trim().split(/\s+/).map(Number);
  if (p.length < 3 || p.slice(0, 3).some((n) => !Number.isFinite(n) || n < 0)) return undefined;
  return [p[0]!, p[1]!, p[2]!];
}

export function parseUptime(text: string): number | undefined {
  const v = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(v) && v >= 0 ? v : undefined;
}

/** /proc/cpuinfo -> per logical cpu: model name, MHz, physical id, core id. */
export interface CpuinfoEntry {
  processor: number;
  modelName?: string;
  mhz?: number;
  physicalId?: number;
  coreId?: number;
}

export function parseCpuinfo(text: string): CpuinfoEntry[] {
  const out: CpuinfoEntry[] = [];
  let cur: CpuinfoEntry | undefined;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (key === 'processor') {
      cur = { processor: Number(value) };
      out.push(cur);
    } else if (!cur) continue;
    else if (key === 'model name' || (key === 'Processor' && cur.modelName === undefined)) cur.modelName = value;
    else if (key === 'cpu MHz') cur.mhz = Number(value);
    else if (key === 'physical id') cur.physicalId = Number(value);
    else if (key === 'core id') cur.coreId = Number(value);
  }
  return out;
}

/** /etc/os-release -> PRETTY_NAME (or NAME VERSION). */
export function parseOsRelease(text: string): string | undefined {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) vars.set(m[1]!, m[2]!.replace(/^["']|["']$/g, ''));
  }
  return vars.get('PRETTY_NAME') ?? ([vars.get('NAME'), vars.get('VERSION')].filter(Boolean).join(' ') || undefined);
}

// Parsers of every /proc and /sys file the Linux collector reads, against files recorded from a real
// machine (test/fixtures/proc, see record.sh there) plus hand-made edge cases.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  decodeIoprio,
  isKernelThread,
  looksLikePartition,
  normalizeExe,
  parseAutogroup,
  parseCgroup,
  parseCmdline,
  parseCpuList,
  parseCpuinfo,
  parseDiskstats,
  parseIo,
  parseKeyValue,
  parseLoadavg,
  parseMeminfo,
  parseNetDev,
  parseOsRelease,
  parsePasswd,
  parsePressure,
  parseProcStat,
  parseSchedstat,
  parseStat,
  parseStatus,
  parseUptime,
  schedPolicyFromNumber,
  stateFromChar,
} from '../../../src-main/monitor/procfs.linux';

const FIX = fileURLToPath(new URL('../../fixtures/proc/', import.meta.url));
const bytes = (rel: string): [Buffer, number] => {
  const b = readFileSync(FIX + rel);
  // Parsers get a larger reused buffer in real use: pad with garbage to prove they honour `len`.
  const big = Buffer.alloc(b.length + 64, 'Z');
  b.copy(big);
  return [big, b.length];
};
const text = (rel: string) => readFileSync(FIX + rel, 'utf8');
const buf = (s: string): [Buffer, number] => [Buffer.from(s), Buffer.byteLength(s)];

describe('parseStat (/proc/PID/stat)', () => {
  it('parses a recorded node process', () => {
    const s = parseStat(...bytes('4242/stat'))!;
    expect(s).toMatchObject({
      pid: 4242,
      comm: 'node',
      stateChar: 'S',
      ppid: 13467,
      utimeTicks: 6,
      stimeTicks: 0,
      priority: 20,
      nice: 0,
      threads: 7,
      startTime: 83159,
      vsizeBytes: 745713664,
      rssPages: 10085,
      rtPriority: 0,
      policy: 0,
    });
    expect(s.minflt).toBe(2179);
    expect(isKernelThread(s)).toBe(false);
  });

  it('takes the name up to the LAST ")" (spaces and parentheses inside, recorded live)', () => {
    const s = parseStat(...bytes('6666/stat'))!;
    expect(s.comm).toBe('my (weird) n)');
    expect(s.stateChar).toBe('S');
    expect(s.ppid).toBe(13467);
    expect(s.startTime).toBe(83159);
  });

  it('handles hand-made names: ") (" and a name that is only ")"', () => {
    const line = (comm: string) => `99 (${comm}) R 1 1 1 0 -1 0 5 0 0 0 11 7 0 0 20 0 1 0 1234 1000 10 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n`;
    for (const comm of [') (', ')', 'a b c', '(((', 'x) R 5 6 (']) {
      const s = parseStat(...buf(line(comm)))!;
      expect(s.comm).toBe(comm);
      expect(s.stateChar).toBe('R');
      expect(s.ppid).toBe(1);
      expect(s.utimeTicks).toBe(11);
      expect(s.stimeTicks).toBe(7);
      expect(s.startTime).toBe(1234);
    }
  });

  it('reads kernel threads: kthreadd (pid 2) and a kworker (PF_KTHREAD, ppid 2, nice -20)', () => {
    const k = parseStat(...bytes('2/stat'))!;
    expect(k.pid).toBe(2);
    expect(k.comm).toBe('kthreadd');
    expect(isKernelThread(k)).toBe(true);
    const w = parseStat(...bytes('77/stat'))!;
    expect(w.comm.startsWith('kworker/')).toBe(true);
    expect(w.stateChar).toBe('I');
    expect(w.nice).toBe(-20);
    expect(w.flags & 0x00200000).not.toBe(0);
    expect(isKernelThread({ pid: 500, ppid: 1, flags: 0x00200000 })).toBe(true);
    expect(isKernelThread({ pid: 500, ppid: 1, flags: 0 })).toBe(false);
  });

  it('reads a zombie (state Z, no memory)', () => {
    const z = parseStat(...bytes('5555/stat'))!;
    expect(z.stateChar).toBe('Z');
    expect(stateFromChar(z.stateChar)).toBe('zombie');
    expect(z.rssPages).toBe(0);
    expect(z.vsizeBytes).toBe(0);
  });

  it('reads policy and rt priority (fields 41/40) from hand-made files', () => {
    const rt = parseStat(...bytes('8888/stat'))!;
    expect(rt.policy).toBe(1);
    expect(schedPolicyFromNumber(rt.policy)).toBe('fifo');
    expect(rt.rtPriority).toBe(50);
    expect(rt.priority).toBe(-51);
    const idle = parseStat(...bytes('7777/stat'))!;
    expect(schedPolicyFromNumber(idle.policy)).toBe('idle');
    expect(idle.nice).toBe(19);
  });

  it('rejects empty and truncated files', () => {
    expect(parseStat(Buffer.alloc(10), 0)).toBeUndefined();
    expect(parseStat(...buf('12 (x) S 1 2 3'))).toBeUndefined();
    expect(parseStat(...buf('12 (x'))).toBeUndefined();
  });

  it('maps every state letter', () => {
    expect(['R', 'S', 'D', 'T', 't', 'Z', 'X', 'I', '?'].map(stateFromChar)).toEqual([
      'running',
      'sleeping',
      'disk-sleep',
      'stopped',
      'tracing-stop',
      'zombie',
      'dead',
      'idle',
      'unknown',
    ]);
  });
});

describe('parseSchedstat, parseIo, parseStatus', () => {
  it('schedstat: run ns, wait ns, timeslices', () => {
    expect(parseSchedstat(...bytes('4242/schedstat'))).toEqual({ runNs: 75753538, runDelayNs: 293961965, timeslices: 33 });
    expect(parseSchedstat(...buf(''))).toBeUndefined();
  });

  it('io: all counters, and write_bytes not confused with cancelled_write_bytes', () => {
    expect(parseIo(...bytes('4242/io'))).toEqual({
      rchar: 249866,
      wchar: 1,
      syscr: 85,
      syscw: 1,
      readBytes: 0,
      writeBytes: 0,
      cancelledWriteBytes: 0,
    });
    const hand = 'rchar: 10\nwchar: 20\nsyscr: 3\nsyscw: 4\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 99\n';
    expect(parseIo(...buf(hand))).toMatchObject({ readBytes: 4096, writeBytes: 8192, cancelledWriteBytes: 99 });
    expect(parseIo(...buf('garbage'))).toBeUndefined();
  });

  it('status: effective uid, VmSwap, context switches, Cpus_allowed_list', () => {
    expect(parseStatus(...bytes('4242/status'))).toEqual({
      uid: 0,
      swapKb: 0,
      voluntaryCtxSwitches: 3,
      involuntaryCtxSwitches: 30,
      cpusAllowedList: '0-1',
    });
    expect(parseStatus(...bytes('7777/status'))).toMatchObject({ uid: 1000, swapKb: 1234, cpusAllowedList: '0,2-3' });
    // Kernel threads have no VmSwap line: absent, not 0.
    const k = parseStatus(...bytes('77/status'));
    expect(k.swapKb).toBeUndefined();
    expect(k.voluntaryCtxSwitches).toBe(2);
    const s = 'Name:\tx\nUid:\t1000\t0\t0\t0\nvoluntary_ctxt_switches:\t5\nnonvoluntary_ctxt_switches:\t6\n';
    expect(parseStatus(...buf(s))).toMatchObject({ uid: 0, voluntaryCtxSwitches: 5, involuntaryCtxSwitches: 6 });
  });

  it('cpu lists', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('')).toEqual([]);
    expect(parseCpuList('5-2')).toEqual([]);
  });
});

describe('files read once per process', () => {
  it('cmdline: NUL-separated argv; zombies and kernel threads have none', () => {
    expect(parseCmdline(...bytes('4242/cmdline'))).toEqual(['node', '-e', 'setTimeout(()=>{}, 5000)']);
    expect(parseCmdline(...bytes('5555/cmdline'))).toEqual([]);
    expect(parseCmdline(...bytes('77/cmdline'))).toEqual([]);
    expect(parseCmdline(...buf('a\0\0b\0'))).toEqual(['a', '', 'b']);
  });

  it('autogroup', () => {
    expect(parseAutogroup(text('4242/autogroup'))).toEqual({ autogroup: 2, nice: 0 });
    expect(parseAutogroup('/autogroup-17 nice -5\n')).toEqual({ autogroup: 17, nice: -5 });
    expect(parseAutogroup(text('77/autogroup'))).toBeUndefined();
  });

  it('cgroup: v1 hybrid (recorded), pure v2, v1 only', () => {
    expect(parseCgroup(text('4242/cgroup'))).toBe('/');
    expect(parseCgroup('0::/user.slice/user-1000.slice/session-2.scope\n')).toBe('/user.slice/user-1000.slice/session-2.scope');
    expect(parseCgroup('4:cpu,cpuacct:/build\n1:name=systemd:/user.slice\n0::/\n')).toBe('/build');
    expect(parseCgroup('')).toBeUndefined();
  });

  it('exe: a replaced binary keeps its path', () => {
    expect(normalizeExe('/usr/bin/python3.11 (deleted)')).toBe('/usr/bin/python3.11');
    expect(normalizeExe('/usr/bin/node')).toBe('/usr/bin/node');
  });

  it('passwd', () => {
    const users = parsePasswd(text('etc-passwd'));
    expect(users.get(0)).toBe('root');
    expect(users.get(1000)).toBe('alice');
    expect(users.size).toBe(2);
  });

  it('ioprio values', () => {
    expect(decodeIoprio(0, 0)).toEqual({ ioClass: 'none', ioLevel: 4 });
    expect(decodeIoprio(0, 19)).toEqual({ ioClass: 'none', ioLevel: 7 });
    expect(decodeIoprio((2 << 13) | 7, 0)).toEqual({ ioClass: 'best-effort', ioLevel: 7 });
    expect(decodeIoprio(3 << 13, 0)).toEqual({ ioClass: 'idle', ioLevel: 0 });
    expect(decodeIoprio((1 << 13) | 2, 0)).toEqual({ ioClass: 'realtime', ioLevel: 2 });
  });
});

describe('system files', () => {
  it('/proc/stat: total and per core, ctxt, btime, processes', () => {
    const s = parseProcStat(text('stat'));
    expect(s.cores.length).toBe(2);
    expect(s.total.user).toBeGreaterThan(0);
    expect(s.total.idle).toBeGreaterThan(0);
    expect(s.cores[0]!.user + s.cores[1]!.user).toBe(s.total.user);
    expect(s.bootTimeSec).toBe(1795239214);
    expect(s.ctxt).toBeGreaterThan(0);
    expect(s.forks).toBeGreaterThan(0);
  });

  it('/proc/meminfo in bytes', () => {
    const m = parseMeminfo(text('meminfo'));
    expect(m.get('MemTotal')).toBe(24684092 * 1024);
    expect(m.get('MemAvailable')).toBeGreaterThan(0);
    expect(m.get('HugePages_Total')).toBe(0); // unitless kept as is
  });

  it('/proc/vmstat', () => {
    const v = parseKeyValue(text('vmstat'));
    expect(v.get('pswpin')).toBe(0);
    expect(v.get('pgfault')).toBeGreaterThan(0);
  });

  it('/proc/diskstats and partition names', () => {
    const d = parseDiskstats(text('diskstats'));
    const vda = d.find((x) => x.device === 'vda')!;
    expect(vda).toMatchObject({ major: 254, minor: 0, reads: 35940, sectorsRead: 1957178, writes: 25579, sectorsWritten: 2992584, ioTicksMs: 10488 });
    expect(d.map((x) => x.device)).toContain('vda1');
    expect(['sda1', 'nvme0n1p2', 'mmcblk0p1', 'vda3'].every(looksLikePartition)).toBe(true);
    expect(['sda', 'nvme0n1', 'mmcblk0', 'vda', 'dm-0', 'loop0'].some(looksLikePartition)).toBe(false);
  });

  it('/proc/net/dev', () => {
    const n = parseNetDev(text('net/dev'));
    expect(n.map((x) => x.iface)).toEqual(['lo', 'ifb0', 'ifb1', 'eth0']);
    expect(n[3]).toEqual({ iface: 'eth0', rxBytes: 769081930, rxPackets: 21321, txBytes: 1916190, txPackets: 13453 });
  });

  it('/proc/pressure/*', () => {
    expect(parsePressure(text('pressure/cpu'))).toEqual({
      someAvg10: 99.29,
      someAvg60: 92.83,
      someAvg300: 59.95,
      someTotalUs: 315873135,
      full: { avg10: 0, avg60: 0, avg300: 0, totalUs: 0 },
    });
    expect(parsePressure(text('pressure/io'))!.full).toBeDefined();
    expect(parsePressure('some avg10=1.00 avg60=2.00 avg300=3.00 total=5\n')!.full).toBeUndefined();
    expect(parsePressure('')).toBeUndefined();
  });

  it('/proc/loadavg, /proc/uptime', () => {
    expect(parseLoadavg(text('loadavg'))).toHaveLength(3);
    expect(parseLoadavg('x y')).toBeUndefined();
    expect(parseUptime(text('uptime'))).toBeGreaterThan(0);
    expect(parseUptime('abc')).toBeUndefined();
  });

  it('/proc/cpuinfo: model and MHz per processor', () => {
    const c = parseCpuinfo(text('cpuinfo'));
    expect(c.map((x) => x.processor)).toEqual([0, 1]);
    expect(c[0]!.modelName).toBe('AMD EPYC');
    expect(c[0]!.mhz).toBeGreaterThan(100);
  });

  it('/etc/os-release', () => {
    expect(parseOsRelease('NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(parseOsRelease('NAME=Arch\nVERSION=rolling\n')).toBe('Arch rolling');
    expect(parseOsRelease('')).toBeUndefined();
  });
});

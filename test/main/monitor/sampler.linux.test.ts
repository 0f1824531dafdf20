// The Linux sampler end to end: on the recorded fixture tree (test/fixtures/proc, with a hand-made
// /sys under _sys) and live against real child processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SampleSchema, SystemInfoSchema, type ProcessSample, type Sample } from '../../../src-shared/domain';
import { createLinuxSampler } from '../../../src-main/monitor/sampler.linux';
import { cpuTicks, waitForCpuTicks } from '../../helpers/proc';

const FIX = fileURLToPath(new URL('../../fixtures/proc', import.meta.url));
const onLinux = process.platform === 'linux';

function fixtureSampler(procRoot = FIX) {
  return createLinuxSampler({ procRoot, sysRoot: join(FIX, '_sys'), passwdPath: join(FIX, 'etc-passwd') });
}

describe('on the fixture tree', () => {
  it('lists every recorded process with the fields each file gives', async () => {
    const s = fixtureSampler();
    try {
      const sample = await s.sample();
      expect(SampleSchema.safeParse(sample).success).toBe(true);
      const byPid = new Map(sample.processes.map((p) => [p.pid, p]));
      expect([...byPid.keys()].sort((a, b) => a - b)).toEqual([2, 77, 4242, 5555, 6666, 7777, 8888]);

      expect(byPid.get(4242)).toMatchObject({
        name: 'node',
        cmdline: 'node -e setTimeout(()=>{}, 5000)',
        exe: '/usr/bin/node',
        user: 'root',
        uid: 0,
        state: 'sleeping',
        threads: 7,
        startTime: 83159,
        affinity: [0, 1],
        cgroup: '/',
        autogroup: 2,
        autogroupNice: 0,
        oomScoreAdj: 0,
        swapBytes: 0,
        programId: '/usr/bin/node',
        kernelThread: false,
      });
      expect(byPid.get(4242)!.readBytesPerSec).toBe(0);
      expect(byPid.get(6666)!.name).toBe('my (weird) n)');
      expect(byPid.get(6666)!.programId).toBe('/usr/bin/bash');

      const zombie = byPid.get(5555)!;
      expect(zombie.state).toBe('zombie');
      expect(zombie.cmdline).toBe('');
      expect(zombie.exe).toBeUndefined();

      expect(byPid.get(2)).toMatchObject({ kernelThread: true, programId: 'kthread:kthreadd' });
      expect(byPid.get(77)).toMatchObject({ kernelThread: true, programId: 'kthread:kworker', nice: -20, state: 'idle' });
      expect(byPid.get(77)!.swapBytes).toBeUndefined();

      // Hand-made: another user's process with no io file, a replaced binary, SCHED_IDLE, nice 19.
      const py = byPid.get(7777)!;
      expect(py).toMatchObject({
        user: 'alice',
        uid: 1000,
        exe: '/usr/bin/python3.11',
        programId: '/usr/bin/python3.11::-m http.server',
        schedPolicy: 'idle',
        nice: 19,
        swapBytes: 1234 * 1024,
        affinity: [0, 2, 3],
      });
      expect(py.unavailable).toContain('io:missing');
      expect(py.readBytesPerSec).toBeUndefined();
      expect(byPid.get(8888)).toMatchObject({ schedPolicy: 'fifo', rtPriority: 50 });
      // I/O priority is read only on the real /proc.
      expect(byPid.get(4242)!.ioClass).toBeUndefined();

      const sys = sample.system;
      expect(sys.cores.map((c) => [c.core, c.frequencyMhz])).toEqual([
        [0, 3200],
        [1, 1800],
      ]);
      expect(sys.disks!.map((d) => d.device)).toEqual(['vda']); // no partitions, no idle loop/zram
      expect(sys.net!.map((n) => n.iface)).toEqual(['lo', 'eth0']); // interfaces without traffic left out
      expect(sys.battery).toEqual({ present: true, percent: 87, charging: false, acConnected: false });
      expect(sys.temperaturesC).toEqual([{ label: 'k10temp Tctl', celsius: 45.5 }]);
      expect(sys.psi!.cpu!.someAvg10).toBe(99.29);
      expect(sys.memory.totalBytes).toBe(24684092 * 1024);
      expect(sys.processCount).toBe(7);
      expect(sys.loadAvg).toHaveLength(3);
      expect(sys.uptimeSec).toBeGreaterThan(0);
    } finally {
      s.close();
    }
  });

  it('treats a pid with a new starttime as a new process and re-reads its identity', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'allot-proc-'));
    try {
      cpSync(FIX, dir, { recursive: true, verbatimSymlinks: true });
      const s = fixtureSampler(dir);
      const first = await s.sample();
      expect(first.processes.find((p) => p.pid === 4242)!.cmdline).toBe('node -e setTimeout(()=>{}, 5000)');
      // The pid is reused: new start time, new command line, lots of CPU already used.
      const stat = readFileSync(join(dir, '4242/stat'), 'utf8').split(' ');
      stat[13] = '900'; // utime
      stat[21] = '99999'; // starttime
      writeFileSync(join(dir, '4242/stat'), stat.join(' '));
      writeFileSync(join(dir, '4242/cmdline'), 'node\0other.js\0');
      await new Promise((r) => setTimeout(r, 20));
      const second = await s.sample();
      const p = second.processes.find((x) => x.pid === 4242)!;
      expect(p.startTime).toBe(99999);
      expect(p.cmdline).toBe('node other.js');
      expect(p.programId).toBe('/usr/bin/node::other.js');
      expect(p.cpuPercent).toBe(0); // no rate against the previous process
      // A process that disappears is dropped.
      rmSync(join(dir, '6666'), { recursive: true });
      const third = await s.sample();
      expect(third.processes.some((x) => x.pid === 6666)).toBe(false);
      s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("cold processes stay unread when a parent's reaped children account for the machine's CPU (process churn)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'allot-proc-'));
    /** Add `delta` to field `index` (0-based, space-separated) of a one-line file. */
    const bump = (file: string, index: number, delta: number) => {
      const fields = readFileSync(join(dir, file), 'utf8').trim().split(' ');
      fields[index] = String(Number(fields[index]) + delta);
      writeFileSync(join(dir, file), fields.join(' ') + '\n');
    };
    /** Busy CPU ticks of the whole machine: the "cpu " line's user field. */
    const spendTicks = (ticks: number) => {
      const lines = readFileSync(join(dir, 'stat'), 'utf8').split('\n');
      const total = lines[0]!.split(/\s+/);
      total[1] = String(Number(total[1]) + ticks);
      lines[0] = total.join(' ');
      writeFileSync(join(dir, 'stat'), lines.join('\n'));
    };
    try {
      cpSync(FIX, dir, { recursive: true, verbatimSymlinks: true });
      const s = createLinuxSampler({ procRoot: dir, sysRoot: join(FIX, '_sys'), passwdPath: join(FIX, 'etc-passwd'), coldAfterTicks: 2, coldEveryTicks: 1000 });
      try {
        for (let i = 0; i < 5; i++) await s.sample(); // everything idle: pid 77 (its parent, 2, is alive) goes cold
        const cold = () => s.sample().then((x) => x.processes.find((p) => p.pid === 77)!.cpuTimeMs ?? Number.NaN);
        const before = await cold();
        // 4242 (always read: its parent is not in the tree) ran 1 tick and reaped children that used
        // 100; the machine spent 101. Pid 77's files change too, but nothing says it ran: not read.
        bump('4242/stat', 13, 1); // utime
        bump('4242/stat', 15, 100); // cutime
        spendTicks(101);
        bump('77/stat', 13, 5);
        bump('77/schedstat', 0, 50_000_000);
        expect(await cold()).toBe(before);
        // CPU nobody read accounts for: something cold woke up, so every cold process is read.
        spendTicks(50);
        expect(await cold()).toBe(before + 50);
      } finally {
        s.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('info(): cpu model, core layout with SMT siblings, memory, boot time', async () => {
    const s = fixtureSampler();
    const info = await s.info();
    s.close();
    expect(SystemInfoSchema.safeParse(info).success).toBe(true);
    expect(info).toMatchObject({
      platform: 'linux',
      cpuModel: 'AMD EPYC',
      hostname: 'vm',
      logicalCores: 4,
      physicalCores: 2,
      smtSiblings: [
        [0, 2],
        [1, 3],
        [0, 2],
        [1, 3],
      ],
      totalMemoryBytes: 24684092 * 1024,
      bootTimeMs: 1795239214 * 1000,
      clockTicksPerSec: 100,
    });
    expect(info.osRelease).toContain('Linux 6.');
  });
});

// ---------------------------------------------------------------------------------------------

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

function spawnChild(cmd: string, args: string[]): ChildProcess {
  const c = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(c);
  return c;
}

function waitForLine(c: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let acc = '';
    c.stdout!.on('data', (d: Buffer) => {
      acc += d.toString();
      if (acc.includes(text)) resolve();
    });
    c.once('exit', () => reject(new Error(`child exited before printing ${text}`)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const find = (s: Sample, pid: number): ProcessSample | undefined => s.processes.find((p) => p.pid === pid);

/** Field 22 of /proc/PID/stat, read independently of the collector. */
function startTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

describe.runIf(onLinux)('live /proc', () => {
  it('finds a spawned child with the right pid, ppid, start time and name', async () => {
    const child = spawnChild('sleep', ['60']);
    await sleep(100);
    const s = createLinuxSampler();
    try {
      const sample = await s.sample();
      expect(SampleSchema.safeParse(sample).success).toBe(true);
      const p = find(sample, child.pid!)!;
      expect(p).toBeDefined();
      expect(p.ppid).toBe(process.pid);
      expect(p.startTime).toBe(startTimeOf(child.pid!));
      expect(p.name).toBe('sleep');
      expect(p.cmdline).toBe('sleep 60');
      expect(p.exe).toMatch(/\/sleep$/);
      expect(p.programId).toBe(p.exe);
      expect(p.user).toBe(process.getuid?.() === 0 ? 'root' : expect.any(String));
      expect(p.ioClass).toBeDefined();
      const self = find(sample, process.pid)!;
      expect(self.threads).toBeGreaterThan(1);
      expect(sample.collectCpuMs).toBeGreaterThanOrEqual(0);
      // Gone processes disappear on the next tick.
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      await sleep(50);
      expect(find(await s.sample(), child.pid!)).toBeUndefined();
    } finally {
      s.close();
    }
  });

  it('reads a live name with spaces and parentheses', async () => {
    const child = spawnChild('bash', ['-c', 'printf "%s" "a) (b c)" > /proc/$$/comm; echo ready; read line']);
    await waitForLine(child, 'ready');
    const s = createLinuxSampler();
    try {
      const p = find(await s.sample(), child.pid!)!;
      expect(p.name).toBe('a) (b c)');
      expect(p.ppid).toBe(process.pid);
      expect(p.state).toBe('sleeping');
    } finally {
      s.close();
      child.stdin!.end('\n');
    }
  });

  it('a child writing 20 MB with fsync shows its write bytes', async () => {
    const base = existsSync('/var/tmp') ? '/var/tmp' : tmpdir(); // not tmpfs: write_bytes counts block I/O
    const dir = mkdtempSync(join(base, 'allot-io-'));
    const file = join(dir, 'out.bin');
    const script = `
      const fs = require('fs');
      process.stdin.once('data', () => {
        const fd = fs.openSync(${JSON.stringify(file)}, 'w');
        const chunk = Buffer.alloc(1 << 20, 7);
        for (let i = 0; i < 20; i++) fs.writeSync(fd, chunk);
        fs.fsyncSync(fd); fs.closeSync(fd);
        console.log('done');
        setInterval(() => {}, 1000);
      });
      console.log('ready');`;
    const child = spawnChild(process.execPath, ['-e', script]);
    const s = createLinuxSampler();
    try {
      await waitForLine(child, 'ready');
      const before = await s.sample();
      expect(find(before, child.pid!)).toBeDefined();
      const done = waitForLine(child, 'done');
      child.stdin!.write('go\n');
      await done;
      const after = await s.sample();
      const p = find(after, child.pid!)!;
      const writtenBytes = (p.writeBytesPerSec! * after.intervalMs) / 1000;
      // Rate × interval gives the bytes back up to floating-point rounding.
      expect(Math.round(writtenBytes)).toBeGreaterThanOrEqual(20 * 1024 * 1024);
      expect(p.writeSyscallsPerSec!).toBeGreaterThan(0);
    } finally {
      s.close();
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a child that sleeps in a loop shows voluntary context switches', async () => {
    const child = spawnChild('bash', ['-c', 'echo ready; while :; do read -t 0.01 x; done']);
    await waitForLine(child, 'ready');
    const s = createLinuxSampler();
    try {
      await s.sample();
      await sleep(1000);
      const p = find(await s.sample(), child.pid!)!;
      expect(p.threads).toBe(1);
      expect(p.voluntaryCtxSwitchesPerSec!).toBeGreaterThan(10);
    } finally {
      s.close();
    }
  });

  it('a busy child shows the CPU time it had between two samples', async () => {
    const child = spawnChild(process.execPath, ['-e', 'console.log("ready"); for (;;) {}']);
    await waitForLine(child, 'ready');
    if (process.getuid?.() === 0) setPriority(child.pid!, -10);
    const pid = child.pid!;
    const clk = 100; // USER_HZ on Linux
    const s = createLinuxSampler();
    try {
      // The sampler reads the child's counters somewhere inside each sample() call: bracket both.
      const before1 = cpuTicks(pid);
      await s.sample();
      const after1 = cpuTicks(pid);
      // However busy the machine, wait for the child to have had 0.3 s of CPU.
      const before2 = await waitForCpuTicks(pid, after1, 30);
      const sample = await s.sample();
      const after2 = cpuTicks(pid);
      const p = find(sample, pid)!;
      const ticks = (p.cpuPercent / 100) * (sample.intervalMs / 1000) * clk;
      expect(ticks).toBeGreaterThanOrEqual(before2 - after1 - 1);
      expect(ticks).toBeLessThanOrEqual(after2 - before1 + 1);
      expect(p.cpuUserPercent!).toBeGreaterThan(p.cpuSystemPercent!);
      if (process.getuid?.() === 0) expect(p.nice).toBe(-10);
    } finally {
      s.close();
      child.kill('SIGKILL');
    }
  });

  it.runIf(process.getuid?.() === 0)('as an unprivileged user, other users\' io and exe are absent and named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'allot-nobody-'));
    try {
      chmodSync(dir, 0o755);
      const sampler = fileURLToPath(new URL('../../../src-main/monitor/sampler.linux.ts', import.meta.url));
      const script = join(dir, 'probe.mts');
      writeFileSync(
        script,
        `import { createLinuxSampler } from ${JSON.stringify(sampler)};
         const s = createLinuxSampler();
         const x = await s.sample();
         s.close();
         const one = x.processes.find((p) => p.pid === 1);
         const self = x.processes.find((p) => p.pid === process.pid);
         console.log(JSON.stringify({ one, self }));`,
      );
      chmodSync(script, 0o644);
      const tsx = fileURLToPath(new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url));
      const r = spawnSync(process.execPath, ['--import', tsx, script], {
        uid: 65534,
        gid: 65534,
        cwd: dir,
        env: { PATH: process.env.PATH ?? '', HOME: dir },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const { one, self } = JSON.parse(r.stdout) as { one: ProcessSample; self: ProcessSample };
      expect(one.unavailable).toEqual(expect.arrayContaining(['io:permission', 'exe:permission']));
      expect(one.readBytesPerSec).toBeUndefined();
      expect(one.exe).toBeUndefined();
      expect(one.cpuPercent).toBe(0); // what is readable is still there
      expect(self.unavailable).toBeUndefined();
      expect(self.readBytesPerSec).toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('close() releases every file descriptor it opened', async () => {
    const fdsBefore = readdirSync('/proc/self/fd').length;
    const s = createLinuxSampler();
    await s.sample();
    await s.sample();
    expect(readdirSync('/proc/self/fd').length).toBeGreaterThan(fdsBefore);
    s.close();
    expect(readdirSync('/proc/self/fd').length).toBe(fdsBefore);
  });
});

describe.runIf(onLinux)('live /proc: work in proportion to change', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  /** utime + stime of a pid in ms, read straight from /proc (what the sampler should report). */
  const cpuMsOf = (pid: number): number => {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  };

  it('hands out the identical ProcessSample for a process that did not run', async () => {
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(child);
    const s = createLinuxSampler();
    try {
      const find = (sample: Sample) => sample.processes.find((p) => p.pid === child.pid);
      await s.sample();
      await s.sample();
      // Over 12 ticks, each consecutive pair is the identical object except around the slow refresh
      // (once every 10 ticks, staggered by pid), which re-reads the files and builds a new one.
      const seen: Array<ProcessSample | undefined> = [];
      for (let i = 0; i < 12; i++) seen.push(find(await s.sample()));
      expect(seen.every((p) => p !== undefined && p.cpuPercent === 0)).toBe(true);
      let identical = 0;
      for (let i = 1; i < seen.length; i++) if (seen[i] === seen[i - 1]) identical++;
      expect(identical).toBeGreaterThanOrEqual(8);
    } finally {
      s.close();
    }
  });

  /**
   * Lets `child` go cold (idle for the sampler's cold threshold), wakes it, waits until /proc shows
   * it ran at least `minMs` of CPU, then requires the very next sample to report its CPU time exactly.
   */
  async function expectReportedWhenItWakes(child: ChildProcess, wake: () => void, minMs: number): Promise<void> {
    const s = createLinuxSampler({ coldAfterTicks: 2, coldEveryTicks: 1000 });
    try {
      for (let i = 0; i < 6; i++) await s.sample();
      const before = cpuMsOf(child.pid!);
      wake();
      let after = before;
      for (let i = 0; i < 500 && after - before < minMs; i++) {
        await new Promise((r) => setTimeout(r, 20));
        after = cpuMsOf(child.pid!);
      }
      expect(after - before).toBeGreaterThanOrEqual(minMs);
      const seen = (await s.sample()).processes.find((p) => p.pid === child.pid);
      expect(seen).toBeDefined();
      expect(Math.abs((seen?.cpuTimeMs ?? -1e9) - cpuMsOf(child.pid!))).toBeLessThanOrEqual(20);
    } finally {
      s.close();
    }
  }

  it('a cold multi-threaded process that wakes up is read in the same tick', async () => {
    // Node (several threads): idle until SIGUSR1, then burns 300 ms of CPU time and sleeps again.
    const script = `process.on('SIGUSR1', () => { const t = process.cpuUsage(); while ((process.cpuUsage(t).user + process.cpuUsage(t).system) < 300000); }); setInterval(() => {}, 1 << 30); console.log('ready');`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(child);
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    await expectReportedWhenItWakes(child, () => child.kill('SIGUSR1'), 250);
  });

  it('a cold single-threaded process that wakes up is read in the same tick (fails without the CPU-accounting check)', async () => {
    const child = spawn('sh', ['-c', 'read x; i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done; sleep 60'], { stdio: ['pipe', 'ignore', 'ignore'] });
    children.push(child);
    await expectReportedWhenItWakes(child, () => child.stdin!.write('go\n'), 100);
  });

  it('sees a process that started and one that ended since the last tick', async () => {
    const s = createLinuxSampler();
    try {
      await s.sample();
      await s.sample();
      const child = spawn('sleep', ['60'], { stdio: 'ignore' });
      children.push(child);
      await new Promise((r) => setTimeout(r, 100));
      expect((await s.sample()).processes.some((p) => p.pid === child.pid)).toBe(true);
      child.kill('SIGKILL');
      await new Promise<void>((resolve) => child.once('exit', () => resolve()));
      expect((await s.sample()).processes.some((p) => p.pid === child.pid)).toBe(false);
    } finally {
      s.close();
    }
  });
});

import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createLaunchWatch, lastPidOf } from '../../../src-main/monitor/launch-watch.linux';

/** A fake /proc: loadavg's last pid and each pid's comm, changed by the test. */
function fakeProc(pidMax = 32_768) {
  const state = { lastPid: 100, comms: new Map<number, string>(), reads: 0 };
  const read = (path: string): string | undefined => {
    state.reads++;
    if (path === '/proc/loadavg') return `0.10 0.20 0.30 1/200 ${state.lastPid}\n`;
    if (path === '/proc/sys/kernel/pid_max') return `${pidMax}\n`;
    const m = /^\/proc\/(\d+)\/comm$/.exec(path);
    const comm = m ? state.comms.get(Number(m[1])) : undefined;
    return comm === undefined ? undefined : `${comm}\n`;
  };
  const launch = (pid: number, comm?: string) => {
    if (comm !== undefined) state.comms.set(pid, comm);
    state.lastPid = pid;
  };
  return { state, read, launch };
}

describe('launch watch (Linux)', () => {
  it('reads the last pid from /proc/loadavg and rejects anything else', () => {
    expect(lastPidOf('0.50 0.40 0.30 2/345 12345\n')).toBe(12345);
    expect(lastPidOf('0.50 0.40 0.30 2/345')).toBeUndefined();
    expect(lastPidOf('garbage')).toBeUndefined();
    expect(lastPidOf(undefined)).toBeUndefined();
  });

  it('wakes once for a watched program among the new pids, and not for others', () => {
    const proc = fakeProc();
    const launched: Array<[number, string]> = [];
    const watch = createLaunchWatch({ watched: (comm) => comm === 'cc1', onLaunch: (pid, comm) => launched.push([pid, comm]), read: proc.read });
    expect(watch.check()).toEqual([]); // nothing new
    proc.launch(101, 'bash');
    proc.launch(102, 'ls');
    expect(watch.check()).toEqual([]);
    proc.launch(103, 'gcc');
    proc.launch(104, 'cc1');
    proc.launch(105, 'cc1');
    proc.launch(106); // gone before it was read
    expect(watch.check()).toEqual([105]); // newest watched first, one wake-up
    expect(launched).toEqual([[105, 'cc1']]);
    expect(watch.check()).toEqual([]); // the same pids are not looked at again
  });

  it('costs one read per period while nothing starts', () => {
    const proc = fakeProc();
    const watch = createLaunchWatch({ watched: () => true, onLaunch: () => undefined, read: proc.read });
    const before = proc.state.reads;
    for (let i = 0; i < 10; i++) watch.check();
    expect(proc.state.reads - before).toBe(10);
  });

  it('follows the pid counter across a wrap', () => {
    const proc = fakeProc(1000);
    proc.state.lastPid = 998;
    const launched: number[] = [];
    const watch = createLaunchWatch({ watched: (comm) => comm === 'rustc', onLaunch: (pid) => launched.push(pid), read: proc.read });
    proc.launch(1000, 'rustc');
    proc.launch(3, 'sh'); // wrapped: 999, 1000, then 1.. are new
    expect(watch.check()).toEqual([1000]);
    expect(launched).toEqual([1000]);
  });

  it('looks at no more than maxScan new pids', () => {
    const proc = fakeProc();
    const watch = createLaunchWatch({ watched: (comm) => comm === 'ld', onLaunch: () => undefined, read: proc.read, maxScan: 5 });
    proc.launch(101, 'ld');
    for (let pid = 102; pid <= 120; pid++) proc.launch(pid, 'sh');
    expect(watch.check()).toEqual([]); // 101 was 20 pids back: seen by the next regular sample instead
  });

  it('sees a real process start', async () => {
    const seen: number[] = [];
    const watch = createLaunchWatch({ watched: (comm) => comm === 'sleep', onLaunch: (pid) => seen.push(pid) });
    const child = spawn('sleep', ['5'], { stdio: 'ignore' });
    try {
      for (let i = 0; i < 200 && !seen.includes(child.pid!); i++) {
        watch.check();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(seen).toContain(child.pid);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

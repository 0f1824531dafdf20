// Test helpers for the platform tests: spawn real target processes, read their state from /proc,
// and remove every cgroup the tests created even when a test fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ProcessIdentity } from '../../../src-shared/domain';
import { readStat } from '../../../src-main/platform/identity.linux';
import { cpuTicks } from '../../helpers/proc';

export interface Target {
  child: ChildProcess;
  identity: ProcessIdentity;
}

const children: ChildProcess[] = [];

export async function waitFor(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Spawn `command`, wait until it has exec'd (comm matches), return it with its identity. */
export async function spawnTarget(command = 'sleep', args: string[] = ['60'], comm = command): Promise<Target> {
  const child = spawn(command, args, { stdio: 'ignore' });
  children.push(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${command}`);
  await waitFor(() => readStat(pid)?.comm === comm);
  const stat = readStat(pid);
  if (!stat) throw new Error('target vanished');
  return { child, identity: { pid, startTime: stat.startTime } };
}

export function spawnBusy(): Promise<Target> {
  return spawnTarget(process.execPath, ['-e', 'for(;;){}'], 'node');
}

export async function killChildren(): Promise<void> {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  }
}

export function procStatus(pid: number, field: string): string | undefined {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  return new RegExp(`^${field}:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
}

export function cgroupLine(pid: number, controller: string): string | undefined {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((line) => line.split(':')[1]?.split(',').includes(controller))
    ?.split(':')[2];
}

/** Remove every allot-* cgroup (moving members to the parent). Call in afterEach/afterAll. */
export function removeAllotCgroups(root = '/sys/fs/cgroup'): void {
  const walk = (dir: string, depth: number): void => {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const name of entries) {
      const child = join(dir, name);
      if (/^allot(-\d+-\d+)?$/.test(name)) {
        walk(child, depth + 1);
        try {
          const procs = existsSync(join(child, 'cgroup.procs')) ? readFileSync(join(child, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean) : [];
          for (const pid of procs) {
            try {
              writeFileSync(join(dirname(child), 'cgroup.procs'), pid);
            } catch {
              /* exited */
            }
          }
          rmdirSync(child);
        } catch {
          /* not ours to remove or busy */
        }
      } else if (depth < 6) {
        walk(child, depth + 1);
      }
    }
  };
  walk(root, 0);
}

export function listAllotCgroups(root = '/sys/fs/cgroup'): string[] {
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries: string[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const name of entries) {
      if (/^allot-\d+-\d+$/.test(name)) found.push(join(dir, name));
      else if (depth < 6) walk(join(dir, name), depth + 1);
    }
  };
  walk(root, 0);
  return found;
}

/** CPU ticks (utime + stime) of a process (the shared test helper). */
export { cpuTicks };

/** Percent of one core used over `ms` (utime+stime from /proc/PID/stat; USER_HZ = 100 on Linux). */
export async function measureCpuPercent(pid: number, ms: number): Promise<number> {
  const t0 = cpuTicks(pid);
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const t1 = cpuTicks(pid);
  const w1 = performance.now();
  return ((t1 - t0) / 100 / ((w1 - w0) / 1000)) * 100;
}

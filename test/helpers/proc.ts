// Small /proc readers for tests that verify what Allot did from the kernel's point of view.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Fields of /proc/PID/stat after the command name (field 3 = index 0). */
function statFields(pid: number): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

export function niceOf(pid: number): number {
  return Number(statFields(pid)[16]);
}

export function startTimeOf(pid: number): number {
  return Number(statFields(pid)[19]);
}

/**
 * CPU time (utime + stime) `pid` has had, in clock ticks. Tests assert on the CPU time that advanced,
 * which the code under test controls, not on the share a busy machine happens to give.
 */
export function cpuTicks(pid: number): number {
  const f = statFields(pid);
  return Number(f[11]) + Number(f[12]);
}

/** Wait until `pid` has had `ticks` more clock ticks of CPU than `from`; the count reached. */
export function waitForCpuTicks(pid: number, from: number, ticks: number, timeoutMs = 30_000): Promise<number> {
  return waitFor(() => {
    const now = cpuTicks(pid);
    return now - from >= ticks ? now : undefined;
  }, timeoutMs, `${ticks} clock ticks of CPU for pid ${pid}`);
}

export async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 15_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Start `command` as an orphan (as `options.user` when given) (its parent shell exits, so it is reparented away from us). Allot
 * never touches its own descendants, so targets of app-level tests must not be our children.
 */
export function spawnOrphan(command: string, args: string[] = [], options: { user?: string } = {}): { pid: number; kill(): void } {
  const quoted = [command, ...args].map((part) => `'${part.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `${quoted} </dev/null >/dev/null 2>&1 & echo $!`;
  // As another user: runuser runs the shell as that user, so the orphan is theirs.
  const out = options.user ? execFileSync('runuser', ['-u', options.user, '--', 'sh', '-c', script], { encoding: 'utf8' }) : execFileSync('sh', ['-c', script], { encoding: 'utf8' });
  const pid = Number(out.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`could not start ${command}: ${out}`);
  return {
    pid,
    kill() {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    },
  };
}

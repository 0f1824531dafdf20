// What the whole-agent benchmarks (agent.bench.ts, load.bench.ts) share: starting the real agent
// (`node bin/allot.mjs serve`, a fresh data directory, an operator token of our own) and reading its
// cost from the kernel: CPU of all its threads (utime+stime of /proc/PID/task/*/stat, USER_HZ ticks),
// RSS (VmRSS of /proc/PID/status), and a bare /proc scan in a separate Node process as the reference.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const HZ = 100; // USER_HZ
export const TOKEN = 'bench-operator-token-0123456789abcdef';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** CPU ticks of one /proc/PID[/task/TID]/stat: utime + stime. */
export function ticksOf(statPath: string): { ticks: number; comm: string } | undefined {
  try {
    const s = readFileSync(statPath, 'utf8');
    const close = s.lastIndexOf(')');
    const comm = s.slice(s.indexOf('(') + 1, close);
    const f = s.slice(close + 2).split(' ');
    return { ticks: Number(f[11]) + Number(f[12]), comm };
  } catch {
    return undefined;
  }
}

export interface ThreadTicks {
  total: number;
  threads: Map<string, { ticks: number; comm: string }>;
}

export function threadsOf(pid: number): ThreadTicks {
  const threads = new Map<string, { ticks: number; comm: string }>();
  let total = 0;
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    /* gone */
  }
  for (const tid of tids) {
    const t = ticksOf(`/proc/${pid}/task/${tid}/stat`);
    if (!t) continue;
    threads.set(tid, t);
    total += t.ticks;
  }
  // Threads that ended inside the window are counted through the process total.
  const whole = ticksOf(`/proc/${pid}/stat`);
  return { total: whole ? whole.ticks : total, threads };
}

export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function fmtMb(bytes: number) {
  return (bytes / 2 ** 20).toFixed(0);
}

/** The bare reference: once per interval, list /proc and read stat and statm of every pid — the least a task manager must do. */
export function startBareScan(intervalMs: number): ChildProcess {
  const script = `
const { readdirSync, readFileSync } = require('node:fs');
setInterval(() => {
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 0x30 || c > 0x39) continue;
    try { readFileSync('/proc/' + name + '/stat'); readFileSync('/proc/' + name + '/statm'); } catch {}
  }
}, ${intervalMs});
`;
  return spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
}

/** One measured window: agent CPU (all threads, busiest thread), RSS at both ends, the bare scan's CPU. */
export interface WindowResult {
  seconds: number;
  agentMsPerS: number;
  busiest: { msPerS: number; comm: string };
  /** Every thread's ms/s, busiest first ("comm/tid"). */
  threads: Array<{ name: string; msPerS: number }>;
  rssStartBytes: number;
  rssEndBytes: number;
  bareMsPerS: number;
}

/** Starts a window now; `end()` closes it and returns what the agent (and the bare scan) cost in it. */
export function openWindow(agentPid: number, barePid: number): { end(): WindowResult } {
  const a0 = threadsOf(agentPid);
  const b0 = ticksOf(`/proc/${barePid}/stat`)?.ticks ?? 0;
  const rssStartBytes = rssBytes(agentPid);
  const t0 = performance.now();
  return {
    end() {
      const seconds = (performance.now() - t0) / 1000;
      const a1 = threadsOf(agentPid);
      const b1 = ticksOf(`/proc/${barePid}/stat`)?.ticks ?? 0;
      const msPerS = (ticks: number) => (ticks * 1000) / HZ / seconds;
      let busiest = { msPerS: 0, comm: '' };
      const threads: Array<{ name: string; msPerS: number }> = [];
      for (const [tid, t] of a1.threads) {
        const ms = msPerS(t.ticks - (a0.threads.get(tid)?.ticks ?? 0));
        threads.push({ name: `${t.comm}/${tid}`, msPerS: ms });
        if (ms > busiest.msPerS) busiest = { msPerS: ms, comm: t.comm };
      }
      threads.sort((a, b) => b.msPerS - a.msPerS);
      return { seconds, agentMsPerS: msPerS(a1.total - a0.total), busiest, threads, rssStartBytes, rssEndBytes: rssBytes(agentPid), bareMsPerS: msPerS(b1 - b0) };
    },
  };
}

export interface ServedAgent {
  child: ChildProcess;
  pid: number;
  port: number;
  dataDir: string;
  /** What the agent wrote to stderr so far. */
  stderr(): string;
  /** POST /api/<channel> with the operator token; the typed Result as JSON. */
  api<T = unknown>(channel: string, body: unknown): Promise<{ ok: true; value: T } | { ok: false; error: { code: string; message: string } }>;
  /** SIGTERM (the agent puts its changes back), SIGKILL after `graceMs`, then the data directory goes. */
  stop(graceMs?: number): Promise<void>;
}

/** `node bin/allot.mjs serve` on a free port with a fresh data directory and our operator token; resolves once it serves. */
export async function serveAgent(options: { intervalMs: number; mode?: string; stderr?: 'inherit' | 'pipe' }): Promise<ServedAgent> {
  const dataDir = mkdtempSync(join(tmpdir(), 'allot-bench-agent-'));
  const tokensFile = join(dataDir, 'tokens.json');
  writeFileSync(tokensFile, JSON.stringify([{ name: 'bench', role: 'operator', token: TOKEN }]), { mode: 0o600 });
  const port = await freePort();
  const child = spawn(
    process.execPath,
    // BENCH_NODE_ARGS: extra Node flags for the agent (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it).
    [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), join(ROOT, 'bin/allot.mjs'), 'serve', '--port', String(port), '--data-dir', dataDir, '--tokens', tokensFile, '--interval-ms', String(options.intervalMs), '--no-admin-socket'],
    { stdio: ['ignore', 'pipe', options.stderr ?? 'inherit'] },
  );
  let errText = '';
  child.stderr?.on('data', (d: Buffer) => (errText += d.toString()));
  const stop = async (graceMs = 10_000): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(graceMs)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('serving on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`agent exited with ${code}${errText ? `:\n${errText}` : ''}`)));
    });
  } catch (error) {
    await stop();
    throw error;
  }
  const api = async (channel: string, body: unknown) => {
    const res = await fetch(`http://127.0.0.1:${port}/api/${channel}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return res.json();
  };
  if (options.mode) {
    const set = (await api('engine.setMode', { mode: options.mode })) as { ok?: boolean };
    if (!set.ok) {
      await stop();
      throw new Error(`engine.setMode failed: ${JSON.stringify(set)}`);
    }
  }
  return { child, pid: child.pid!, port, dataDir, stderr: () => errText, api: api as ServedAgent['api'], stop };
}

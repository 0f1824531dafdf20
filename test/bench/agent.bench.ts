// Whole-agent cost benchmark (a script, not a test): `npm run bench:agent -- [options]`
//
// Starts the real agent as a user would (`node bin/allot.mjs serve`, a fresh data directory, 1 s
// interval), spawns N idle processes each in its own session (`setsid sleep`), waits out start-up,
// then prints one row per window:
//   - agent CPU ms/s: all threads of the agent process (utime+stime of /proc/PID/task/*/stat);
//   - the busiest thread's ms/s and its name;
//   - agent RSS (VmRSS);
//   - a bare scan's ms/s in the same window: a separate Node process that, once per second, lists
//     /proc and reads /proc/PID/stat and /proc/PID/statm of every pid (readFileSync) — the least a
//     1 Hz task manager must do — and the agent / bare ratio;
//   - with --client: one headless Chromium on the UI, and its page's main-thread task time (CDP
//     Performance.getMetrics TaskDuration) as ms/s, added to the agent's for the "agent + page" figure.
// Then a churn scenario (unless --no-churn): 50 short-lived processes started and ended per second for
// the same number of windows, to show per-process state is released (RSS flat).
//
// Options: --processes N (default 1000), --minutes M (default 3; the issue's full run is 30),
// --window-s S (default 60), --mode off|advise|auto (default auto), --client, --no-churn,
// --warmup-s S (default 20), --interval-ms MS (default 1000).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name: string, fallback: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : fallback;
};
const flag = (name: string) => args.includes(name);
const PROCESSES = Number(opt('--processes', '1000'));
const MINUTES = Number(opt('--minutes', '3'));
const WINDOW_S = Number(opt('--window-s', '60'));
const WARMUP_S = Number(opt('--warmup-s', '20'));
const MODE = opt('--mode', 'auto');
const INTERVAL_MS = Number(opt('--interval-ms', '1000'));
const CLIENT = flag('--client');
const CHURN = !flag('--no-churn');
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HZ = 100; // USER_HZ
const TOKEN = 'bench-operator-token-0123456789abcdef';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
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
function ticksOf(statPath: string): { ticks: number; comm: string } | undefined {
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

interface ThreadTicks {
  total: number;
  threads: Map<string, { ticks: number; comm: string }>;
}

function threadsOf(pid: number): ThreadTicks {
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

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

const BARE_SCAN = `
const { readdirSync, readFileSync } = require('node:fs');
setInterval(() => {
  for (const name of readdirSync('/proc')) {
    const c = name.charCodeAt(0);
    if (c < 0x30 || c > 0x39) continue;
    try { readFileSync('/proc/' + name + '/stat'); readFileSync('/proc/' + name + '/statm'); } catch {}
  }
}, ${INTERVAL_MS});
`;

function spawnIdle(n: number): ChildProcess[] {
  const out: ChildProcess[] = [];
  for (let i = 0; i < n; i++) {
    // detached: setsid(), each in its own session (and autogroup).
    const c = spawn('sleep', ['7200'], { detached: true, stdio: 'ignore' });
    c.unref();
    out.push(c);
  }
  return out;
}

/** 50 short-lived processes started (and ended) per second, from one shell. */
function startChurn(): ChildProcess {
  const script = 'while :; do i=0; while [ $i -lt 50 ]; do /bin/sleep 0.3 & i=$((i+1)); done; /bin/sleep 1; wait; done';
  return spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
}

async function api(port: number, channel: string, body: unknown): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${port}/api/${channel}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return res.json();
}

interface Page {
  taskMs(): Promise<number>;
  close(): Promise<void>;
}

async function openClient(port: number): Promise<Page> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`http://127.0.0.1:${port}/?token=${TOKEN}`);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  return {
    async taskMs() {
      const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: Array<{ name: string; value: number }> };
      return (metrics.find((m) => m.name === 'TaskDuration')?.value ?? 0) * 1000;
    },
    close: () => browser.close(),
  };
}

function fmtMb(bytes: number) {
  return (bytes / 2 ** 20).toFixed(0);
}

async function measure(label: string, agentPid: number, barePid: number, windows: number, page?: Page): Promise<number[]> {
  console.log(`\n## ${label}`);
  console.log(`| window | agent ms/s | busiest thread ms/s | agent RSS MB | bare scan ms/s | agent / bare |${page ? ' page ms/s | agent + page ms/s |' : ''}`);
  console.log(`|---|---|---|---|---|---|${page ? '---|---|' : ''}`);
  const rss: number[] = [];
  for (let w = 1; w <= windows; w++) {
    const a0 = threadsOf(agentPid);
    const b0 = ticksOf(`/proc/${barePid}/stat`)?.ticks ?? 0;
    const p0 = page ? await page.taskMs() : 0;
    const t0 = Date.now();
    await sleep(WINDOW_S * 1000);
    const seconds = (Date.now() - t0) / 1000;
    const a1 = threadsOf(agentPid);
    const b1 = ticksOf(`/proc/${barePid}/stat`)?.ticks ?? 0;
    const p1 = page ? await page.taskMs() : 0;
    const msPerS = (ticks: number) => (ticks * 1000) / HZ / seconds;
    const agent = msPerS(a1.total - a0.total);
    let busiest = { ms: 0, comm: '' };
    for (const [tid, t] of a1.threads) {
      const before = a0.threads.get(tid)?.ticks ?? 0;
      const ms = msPerS(t.ticks - before);
      if (ms > busiest.ms) busiest = { ms, comm: t.comm };
    }
    const bare = msPerS(b1 - b0);
    const r = rssBytes(agentPid);
    rss.push(r);
    const pageMs = (p1 - p0) / seconds;
    console.log(
      `| ${w} (${((w * WINDOW_S) / 60).toFixed(1)} min) | ${agent.toFixed(1)} | ${busiest.ms.toFixed(1)} (${busiest.comm}) | ${fmtMb(r)} | ${bare.toFixed(1)} | ${(agent / Math.max(bare, 0.01)).toFixed(2)}x |${page ? ` ${pageMs.toFixed(1)} | ${(agent + pageMs).toFixed(1)} |` : ''}`,
    );
  }
  if (rss.length >= 2) {
    // The issue's flatness check: the last window against minute 5, or against the first window
    // when the run is too short to have a minute-5 window before the last one.
    const atMinute5 = Math.max(0, Math.round((5 * 60) / WINDOW_S) - 1);
    const base = atMinute5 < rss.length - 1 ? atMinute5 : 0;
    const first = rss[base]!;
    const last = rss.at(-1)!;
    console.log(`RSS drift: last window ${fmtMb(last)} MB vs window ${base + 1} ${fmtMb(first)} MB (${(((last - first) / first) * 100).toFixed(1)} %)`);
  }
  return rss;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'allot-bench-agent-'));
  const tokensFile = join(dataDir, 'tokens.json');
  writeFileSync(tokensFile, JSON.stringify([{ name: 'bench', role: 'operator', token: TOKEN }]));
  const port = await freePort();
  console.log(`# bench:agent: ${PROCESSES} idle processes, ${INTERVAL_MS} ms interval, mode ${MODE}, ${CLIENT ? 'one browser client' : 'no client'}, ${MINUTES} min in ${WINDOW_S} s windows${CHURN ? ', then churn' : ''}`);
  const idle = spawnIdle(PROCESSES);
  const agent = spawn(process.execPath, [join(ROOT, 'bin/allot.mjs'), 'serve', '--port', String(port), '--data-dir', dataDir, '--tokens', tokensFile, '--interval-ms', String(INTERVAL_MS), '--no-admin-socket'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const bare = spawn(process.execPath, ['-e', BARE_SCAN], { stdio: 'ignore' });
  let churn: ChildProcess | undefined;
  let page: Page | undefined;
  const cleanup = () => {
    for (const c of idle) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (churn?.pid) {
      try {
        process.kill(-churn.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    bare.kill('SIGKILL');
    agent.kill('SIGTERM');
  };
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      agent.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('serving on')) resolve();
      });
      agent.on('exit', (code) => reject(new Error(`agent exited with ${code}`)));
    });
    const set = await api(port, 'engine.setMode', { mode: MODE });
    if (!(set as { ok?: boolean }).ok) throw new Error(`engine.setMode failed: ${JSON.stringify(set)}`);
    if (CLIENT) page = await openClient(port);
    console.log(`agent pid ${agent.pid}, warming up ${WARMUP_S} s`);
    await sleep(WARMUP_S * 1000);
    const windows = Math.max(1, Math.round((MINUTES * 60) / WINDOW_S));
    await measure(`steady: ${PROCESSES} idle processes`, agent.pid!, bare.pid!, windows, page);
    if (CHURN) {
      churn = startChurn();
      await measure(`churn: ${PROCESSES} idle + 50 short-lived processes per second`, agent.pid!, bare.pid!, windows, page);
    }
  } finally {
    await page?.close().catch(() => undefined);
    cleanup();
    await sleep(500);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

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
import { TOKEN, fmtMb, openWindow, serveAgent, sleep, startBareScan } from './agent-probe';

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

async function measure(label: string, agentPid: number, barePid: number, windows: number, page?: Page): Promise<number[]> {
  console.log(`\n## ${label}`);
  console.log(`| window | agent ms/s | busiest thread ms/s | agent RSS MB | bare scan ms/s | agent / bare |${page ? ' page ms/s | agent + page ms/s |' : ''}`);
  console.log(`|---|---|---|---|---|---|${page ? '---|---|' : ''}`);
  const rss: number[] = [];
  for (let w = 1; w <= windows; w++) {
    const window = openWindow(agentPid, barePid);
    const p0 = page ? await page.taskMs() : 0;
    await sleep(WINDOW_S * 1000);
    const r = window.end();
    const p1 = page ? await page.taskMs() : 0;
    rss.push(r.rssEndBytes);
    const pageMs = (p1 - p0) / r.seconds;
    console.log(
      `| ${w} (${((w * WINDOW_S) / 60).toFixed(1)} min) | ${r.agentMsPerS.toFixed(1)} | ${r.busiest.msPerS.toFixed(1)} (${r.busiest.comm}) | ${fmtMb(r.rssEndBytes)} | ${r.bareMsPerS.toFixed(1)} | ${(r.agentMsPerS / Math.max(r.bareMsPerS, 0.01)).toFixed(2)}x |${page ? ` ${pageMs.toFixed(1)} | ${(r.agentMsPerS + pageMs).toFixed(1)} |` : ''}`,
    );
    // BENCH_VERBOSE=1: where the agent's CPU goes, thread by thread.
    if (process.env.BENCH_VERBOSE) console.log(`|   threads: ${r.threads.filter((t) => t.msPerS >= 0.5).map((t) => `${t.name} ${t.msPerS.toFixed(1)}`).join(', ')} |`);
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
  console.log(`# bench:agent: ${PROCESSES} idle processes, ${INTERVAL_MS} ms interval, mode ${MODE}, ${CLIENT ? 'one browser client' : 'no client'}, ${MINUTES} min in ${WINDOW_S} s windows${CHURN ? ', then churn' : ''}`);
  const idle = spawnIdle(PROCESSES);
  const bare = startBareScan(INTERVAL_MS);
  let churn: ChildProcess | undefined;
  let page: Page | undefined;
  const killGroups = () => {
    for (const c of [...idle, ...(churn ? [churn] : [])]) {
      try {
        process.kill(-c.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    bare.kill('SIGKILL');
  };
  let agent: Awaited<ReturnType<typeof serveAgent>> | undefined;
  process.on('SIGINT', () => {
    killGroups();
    agent?.child.kill('SIGTERM');
    process.exit(130);
  });
  try {
    agent = await serveAgent({ intervalMs: INTERVAL_MS, mode: MODE });
    if (CLIENT) page = await openClient(agent.port);
    console.log(`agent pid ${agent.pid}, warming up ${WARMUP_S} s`);
    await sleep(WARMUP_S * 1000);
    const windows = Math.max(1, Math.round((MINUTES * 60) / WINDOW_S));
    await measure(`steady: ${PROCESSES} idle processes`, agent.pid, bare.pid!, windows, page);
    if (CHURN) {
      churn = startChurn();
      await measure(`churn: ${PROCESSES} idle + 50 short-lived processes per second`, agent.pid, bare.pid!, windows, page);
    }
  } finally {
    await page?.close().catch(() => undefined);
    killGroups();
    await agent?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

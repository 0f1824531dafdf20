// Records resource traces of real programs for the forecasting benchmark and tests.
// OS API: Linux /proc (/proc/<pid>/stat for CPU ticks, parent pid and RSS pages; /proc/stat for the
// system-wide CPU total). Samples at 1 Hz and writes CSV `timestamp_ms,cpu_percent,rss_bytes` to
// test/fixtures/traces/<name>.csv.
//
// Usage:
//   npx tsx test/bench/record-traces.ts tree <name> <seconds> -- <command> [args...]
//       spawns the command (own process group), sums CPU% and RSS over its process tree every second,
//       and kills the tree when the time is up (or stops early when the tree exits).
//   npx tsx test/bench/record-traces.ts system <name> <seconds>
//       records the system-wide total CPU% (all cores = 100 %) and used memory (MemTotal - MemAvailable).
//
// CPU% of a tree is per-core percent (one busy core = 100 %), from per-process growth of
// utime+stime+cutime+cstime (see ticksBetween).
//
// Workloads recorded for test/fixtures/traces (2 cores, shared with other jobs):
//   compile-tsc       tree, 420 s: bash -c 'while true; do npx tsc -p /work/main/tsconfig.json --noEmit; sleep 4; done'
//   test-vitest       tree, 420 s: bash -c 'while true; do npx vitest run --root /tmp/allot-testrun --globals; sleep 5; done'
//                     (6 generated test files: sorting, sha256 chains, JSON round-trips, timers)
//   browser-chromium  tree, 420 s: node drive.mjs (playwright-core driving /usr/bin/chromium headless:
//                     opens a canvas animation, a 20k-row table with live updates and a static page in
//                     turn, keeps up to 4 tabs, reloads every 5th round, closes all and idles every 7th)
//   system-total      system, 600 s; system-total-long: system, 1200 s (whatever the machine ran)

import { spawn, execSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLOCK_TICKS_PER_S = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;
const PAGE_BYTES = Number(execSync('getconf PAGESIZE').toString().trim()) || 4096;
const TRACES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'traces');

interface ProcStat {
  pid: number;
  ppid: number;
  /** Field 22: start time in ticks since boot; with pid, identifies the process. */
  startTicks: number;
  totalTicks: number;
  rssBytes: number;
}

function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: fields start after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // rest[0] = state (field 3), so field N is rest[N - 3].
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  const cutime = Number(rest[13]);
  const cstime = Number(rest[14]);
  const startTicks = Number(rest[19]);
  const rssPages = Number(rest[21]);
  return { pid, ppid, startTicks, totalTicks: utime + stime + cutime + cstime, rssBytes: rssPages * PAGE_BYTES };
}

/** Cumulative ticks per live tree member, keyed by `pid:startTicks`. */
type TreeTicks = Map<string, number>;

function treeTotals(rootPid: number): { members: TreeTicks; rssBytes: number; count: number } {
  const stats = new Map<number, ProcStat>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readProcStat(Number(entry));
    if (s) stats.set(s.pid, s);
  }
  const children = new Map<number, number[]>();
  for (const s of stats.values()) {
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const members: TreeTicks = new Map();
  let rssBytes = 0;
  let count = 0;
  const stack = [rootPid];
  while (stack.length > 0) {
    const pid = stack.pop()!;
    const s = stats.get(pid);
    if (!s) continue;
    members.set(`${s.pid}:${s.startTicks}`, s.totalTicks);
    rssBytes += s.rssBytes;
    count += 1;
    stack.push(...(children.get(pid) ?? []));
  }
  return { members, rssBytes, count };
}

/**
 * CPU ticks the tree used between two readings: for members seen both times the growth of their
 * cumulative ticks (children that exited and were reaped show up in the parent's cutime/cstime); for new
 * members all their ticks (they started inside the interval). A process that joins the tree with a long
 * history (reparenting) or briefly drops out of a /proc listing therefore cannot create a spike.
 */
function ticksBetween(prev: TreeTicks, cur: TreeTicks): number {
  let ticks = 0;
  for (const [key, total] of cur) {
    const before = prev.get(key);
    ticks += before === undefined ? total : Math.max(0, total - before);
  }
  return ticks;
}

function systemTotals(): { busyTicks: number; allTicks: number; usedBytes: number } {
  const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const f = cpuLine.trim().split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  // user nice system idle iowait irq softirq steal (guest is already inside user).
  const all = f.slice(0, 8).reduce((a, b) => a + b, 0);
  const mem = readFileSync('/proc/meminfo', 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(mem)?.[1] ?? 0);
  return { busyTicks: all - idle, allTicks: all, usedBytes: (kb('MemTotal') - kb('MemAvailable')) * 1024 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function recordTree(name: string, seconds: number, command: string[]): Promise<string[]> {
  const [cmd, ...args] = command;
  if (!cmd) throw new Error('tree: missing command after --');
  const child = spawn(cmd, args, { detached: true, stdio: 'ignore' });
  const rootPid = child.pid;
  if (rootPid === undefined) throw new Error(`tree: could not spawn ${cmd}`);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  const rows: string[] = [];
  let prev = treeTotals(rootPid);
  let prevAt = Date.now();
  const startAt = prevAt;
  let nextAt = prevAt + 1000;
  while (Date.now() - startAt < seconds * 1000 && !exited) {
    await sleep(Math.max(0, nextAt - Date.now()));
    nextAt += 1000;
    const now = Date.now();
    const cur = treeTotals(rootPid);
    if (cur.count === 0) break;
    const dtS = (now - prevAt) / 1000;
    const cpuPercent = (ticksBetween(prev.members, cur.members) / CLOCK_TICKS_PER_S / dtS) * 100;
    rows.push(`${now},${cpuPercent.toFixed(1)},${cur.rssBytes}`);
    prev = cur;
    prevAt = now;
  }
  try {
    process.kill(-rootPid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  console.error(`${name}: ${rows.length} samples`);
  return rows;
}

async function recordSystem(name: string, seconds: number): Promise<string[]> {
  const rows: string[] = [];
  let prev = systemTotals();
  const startAt = Date.now();
  let nextAt = startAt + 1000;
  while (Date.now() - startAt < seconds * 1000) {
    await sleep(Math.max(0, nextAt - Date.now()));
    nextAt += 1000;
    const cur = systemTotals();
    const all = cur.allTicks - prev.allTicks;
    const cpuPercent = all > 0 ? ((cur.busyTicks - prev.busyTicks) / all) * 100 : 0;
    rows.push(`${Date.now()},${cpuPercent.toFixed(1)},${cur.usedBytes}`);
    prev = cur;
  }
  console.error(`${name}: ${rows.length} samples`);
  return rows;
}

async function main(): Promise<void> {
  const [mode, name, secondsText, ...rest] = process.argv.slice(2);
  const seconds = Number(secondsText);
  if ((mode !== 'tree' && mode !== 'system') || !name || !/^[\w-]+$/.test(name) || !(seconds > 0)) {
    console.error('usage: record-traces.ts tree <name> <seconds> -- <command...> | system <name> <seconds>');
    process.exit(2);
  }
  const command = rest[0] === '--' ? rest.slice(1) : rest;
  const rows = mode === 'tree' ? await recordTree(name, seconds, command) : await recordSystem(name, seconds);
  mkdirSync(TRACES_DIR, { recursive: true });
  const file = join(TRACES_DIR, `${name}.csv`);
  writeFileSync(file, `timestamp_ms,cpu_percent,rss_bytes\n${rows.join('\n')}\n`);
  console.error(`wrote ${file}`);
}

await main();

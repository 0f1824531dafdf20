// The agent under load (a script, not a test): `npm run bench:load -- [options]`
//
// Starts the real agent (`node bin/allot.mjs serve`, a fresh data directory, 1 s interval, mode auto
// as on a fresh install), waits out start-up, makes a few real changes as an operator through the
// HTTP API (nice +5 on idle `sleep` processes of our own), then measures phase by phase:
//   before   idle machine (as it is: other work may be running);
//   storm    short-lived processes started at --rate per second by --workers Perl loops (fork, the
//            child lives --lifetime-ms, or execs /bin/sleep with --exec); the rate reached is printed;
//   after    the storm is over: RSS should come back or stay flat;
//   clients  --clients WebSocket clients connected as the UI connects (/ws?token=, every event
//            pushed, ticks as process deltas rebuilt with ProcessDeltaDecoder); ticks per client
//            against the expected seconds / interval, sequence gaps, broken deltas, longest silence;
//   after clients   they have closed: what each connection held should be let go.
// Per phase: agent CPU ms/s (all threads, /proc/PID/task/*/stat), the busiest thread, RSS (VmRSS)
// at both ends, a bare /proc scan's ms/s in the same window (agent-probe.ts) and the ratio, the
// system's forks/s (/proc/stat `processes`) and the 1-minute load average.
// Then the journal check: the operator's changes are still listed as applied, undo puts each nice
// back (read from /proc/PID/stat), and no journal row listed before the storm is missing: PASS/FAIL;
// and the stop: after SIGTERM every priority change still in force (the engine's) is back: PASS/FAIL.
// Every child (agent, bare scan, storm workers and their children, idle sleeps) is ended on exit,
// error, Ctrl-C or SIGTERM; the agent gets SIGTERM first so it puts its own changes back.
//
// Options: --rate N (default 1000 per second), --storm-s S (30), --workers N (2), --lifetime-ms MS (50),
// --exec, --clients N (20; 0 skips the client phases), --clients-s S (60), --warmup-s S (20), --before-s S (20), --after-s S (20),
// --interval-ms MS (1000), --mode off|advise|auto (auto), --quick (--rate 500 --storm-s 10 --clients 5
// --clients-s 15 --warmup-s 10 --before-s 10 --after-s 10: about 75 s; options given win).
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import WebSocket from 'ws';
import { ProcessDeltaDecoder, type ProcessDelta } from '../../src-shared/process-delta';
import { niceOf, startTimeOf } from '../helpers/proc';
import { TOKEN, fmtMb, openWindow, serveAgent, sleep, startBareScan, type ServedAgent, type WindowResult } from './agent-probe';

const args = process.argv.slice(2);
const QUICK = args.includes('--quick');
const opt = (name: string, fallback: string, quick = fallback): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : QUICK ? quick : fallback;
};
const num = (name: string, fallback: string, quick = fallback): number => {
  const value = Number(opt(name, fallback, quick));
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a number >= 0`);
  return value;
};
const RATE = num('--rate', '1000', '500');
const STORM_S = num('--storm-s', '30', '10');
const WORKERS = Math.max(1, Math.round(num('--workers', '2')));
const LIFETIME_MS = num('--lifetime-ms', '50');
const EXEC = args.includes('--exec');
const CLIENTS = Math.round(num('--clients', '20', '5'));
const CLIENTS_S = num('--clients-s', '60', '15');
const WARMUP_S = num('--warmup-s', '20', '10');
const BEFORE_S = num('--before-s', '20', '10');
const AFTER_S = num('--after-s', '20', '10');
const INTERVAL_MS = num('--interval-ms', '1000');
const MODE = opt('--mode', 'auto');
/** Idle processes the operator changes before the storm (the journal check). */
const JOURNAL_TARGETS = 3;
const NICE_STEP = 5;

// ---- children, and ending all of them whatever happens ----

/** Process groups we started (detached children): SIGKILLed as a whole. */
const groups = new Set<number>();
const plain = new Set<ChildProcess>();
let agent: ServedAgent | undefined;
let bare: ChildProcess | undefined;
const sockets = new Set<WebSocket>();

function killChildren(): void {
  for (const ws of sockets) ws.terminate();
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  groups.clear();
  for (const child of plain) child.kill('SIGKILL');
  plain.clear();
}

let shuttingDown: Promise<void> | undefined;
/** Ctrl-C or SIGTERM: what fails after it (a killed storm worker) is not an error worth printing. */
let interrupted = false;
function shutdown(): Promise<void> {
  shuttingDown ??= (async () => {
    killChildren();
    await agent?.stop(10_000);
  })();
  return shuttingDown;
}

// Last resort when the process ends some other way: synchronous kills only.
process.on('exit', () => {
  killChildren();
  if (agent && agent.child.exitCode === null && agent.child.signalCode === null) agent.child.kill('SIGTERM');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    interrupted = true;
    console.error(`\n${signal}: ending the agent and every child`);
    void shutdown().finally(() => process.exit(130));
  });
}

// ---- /proc readings beside the agent-probe ones ----

/** Processes created since boot (/proc/stat `processes`). */
function forksSinceBoot(): number {
  const m = /^processes (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
  return m ? Number(m[1]) : 0;
}

/** Processes on the machine now (every pid in /proc): the agent scans all of them, ours or not. */
function processCount(): number {
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).length;
}

function loadAverage1(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
}

interface PhaseRow {
  phase: string;
  window: WindowResult;
  forksPerS: number;
  load1: string;
  processes: number;
}

async function measurePhase(phase: string, seconds: number, during?: () => Promise<void>): Promise<PhaseRow> {
  const forks0 = forksSinceBoot();
  const window = openWindow(agent!.pid, bare!.pid!);
  const started = performance.now();
  await (during ? during() : sleep(seconds * 1000));
  const rest = seconds * 1000 - (performance.now() - started);
  if (rest > 0) await sleep(rest);
  const result = window.end();
  const row = { phase, window: result, forksPerS: (forksSinceBoot() - forks0) / result.seconds, load1: loadAverage1(), processes: processCount() };
  if (agent!.child.exitCode !== null || agent!.child.signalCode !== null) throw new Error(`the agent ended during ${phase} (${agent!.child.exitCode ?? agent!.child.signalCode}):\n${agent!.stderr()}`);
  console.log(`${phase}: ${result.seconds.toFixed(1)} s, agent ${result.agentMsPerS.toFixed(1)} ms/s, RSS ${fmtMb(result.rssStartBytes)}→${fmtMb(result.rssEndBytes)} MB`);
  return row;
}

function printPhases(rows: PhaseRow[]): void {
  console.log('\n| phase | s | agent ms/s (all threads) | busiest thread ms/s | agent RSS MB start→end | bare scan ms/s | agent / bare | forks/s (system) | processes at end | load 1 min |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const { phase, window: w, forksPerS, load1, processes } of rows) {
    console.log(
      `| ${phase} | ${w.seconds.toFixed(0)} | ${w.agentMsPerS.toFixed(1)} | ${w.busiest.msPerS.toFixed(1)} (${w.busiest.comm}) | ${fmtMb(w.rssStartBytes)}→${fmtMb(w.rssEndBytes)} | ${w.bareMsPerS.toFixed(1)} | ${(w.agentMsPerS / Math.max(w.bareMsPerS, 0.01)).toFixed(2)}x | ${forksPerS.toFixed(0)} | ${processes} | ${load1} |`,
    );
  }
}

// ---- the storm ----

/**
 * One storm worker: a Perl loop that forks at `rate` per second for `seconds` (a child lives
 * `lifetimeMs`, or execs /bin/sleep that long), reaps as it goes, and prints "<forks> <seconds>".
 * Behind schedule it forks as fast as it can, with at most 0.25 s of backlog (no catch-up bursts).
 */
const STORM_WORKER = `
use strict; use POSIX (); use Time::HiRes qw(time sleep);
my ($rate, $seconds, $life, $exec) = @ARGV;
my $t0 = time; my $end = $t0 + $seconds; my $next = $t0; my $n = 0; my $failed = 0;
while (1) {
  my $now = time;
  last if $now >= $end;
  if ($next > $now) { sleep($next - $now); next; }
  $next = $now - 0.25 if $next < $now - 0.25;
  my $pid = fork();
  if (!defined $pid) { $failed++; sleep(0.005); next; }
  if ($pid == 0) {
    if ($exec) { exec('/bin/sleep', $life / 1000) or POSIX::_exit(127); }
    sleep($life / 1000) if $life > 0;
    POSIX::_exit(0);
  }
  $n++; $next += 1 / $rate;
  1 while waitpid(-1, POSIX::WNOHANG()) > 0;
}
1 while wait() != -1;
printf "%d %.3f %d\\n", $n, time - $t0, $failed;
`;

interface StormResult {
  forks: number;
  seconds: number;
  failed: number;
}

function startStormWorker(rate: number, seconds: number): { child: ChildProcess; done: Promise<StormResult> } {
  const child = spawn('perl', ['-e', STORM_WORKER, String(rate), String(seconds), String(LIFETIME_MS), EXEC ? '1' : '0'], { detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  groups.add(child.pid!);
  roles.set(child.pid!, 'storm worker');
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<StormResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      groups.delete(child.pid!);
      const [forks, secs, failed] = out.trim().split(' ').map(Number);
      if (code !== 0 || forks === undefined || !Number.isFinite(secs)) reject(new Error(`storm worker ended with ${code}: ${out}`));
      else resolve({ forks, seconds: secs!, failed: failed ?? 0 });
    });
  });
  return { child, done };
}

// ---- WebSocket clients ----

interface ClientStats {
  ticks: number;
  seqGaps: number;
  broken: number;
  maxSilenceMs: number;
  /** Arrival of the first and the last counted tick (performance.now()). */
  firstAt: number;
  lastAt: number;
  bytes: number;
  events: number;
}

/** A client as the UI's transport: one socket with the token in the URL; every tick rebuilt from its delta. */
function openClient(port: number): { stats: ClientStats; firstTick: Promise<void>; startCounting(): void; close(): void } {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${TOKEN}`);
  sockets.add(ws);
  const decoder = new ProcessDeltaDecoder();
  const stats: ClientStats = { ticks: 0, seqGaps: 0, broken: 0, maxSilenceMs: 0, firstAt: 0, lastAt: 0, bytes: 0, events: 0 };
  let counting = false;
  let lastSeq: number | undefined;
  let lastAt = 0;
  let onFirst: () => void = () => undefined;
  let onFail: (error: Error) => void = () => undefined;
  const firstTick = new Promise<void>((resolve, reject) => {
    onFirst = resolve;
    onFail = reject;
  });
  ws.on('error', (error) => onFail(error));
  ws.on('close', (code) => onFail(new Error(`WebSocket closed (${code}) before its first tick`)));
  ws.on('message', (data: Buffer) => {
    const message = JSON.parse(data.toString()) as { type: string; payload?: { seq: number }; processes?: ProcessDelta };
    if (message.type === 'event') {
      if (counting) stats.events++;
      return;
    }
    if (message.type !== 'tick') return;
    if (!decoder.apply(message.processes!)) {
      // As the UI does: the stream does not add up, start over from an empty set on the next complete tick.
      stats.broken++;
      decoder.reset();
    }
    const seq = message.payload!.seq;
    const now = performance.now();
    if (counting) {
      if (stats.ticks++ === 0) stats.firstAt = now;
      stats.lastAt = now;
      stats.bytes += data.length;
      if (lastSeq !== undefined && seq > lastSeq + 1) stats.seqGaps += seq - lastSeq - 1;
      stats.maxSilenceMs = Math.max(stats.maxSilenceMs, now - lastAt);
    }
    lastSeq = seq;
    lastAt = now;
    onFirst();
  });
  return {
    stats,
    firstTick,
    startCounting() {
      counting = true;
      lastAt = performance.now();
    },
    close() {
      ws.close();
      sockets.delete(ws);
    },
  };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

// ---- the journal check ----

interface ChangeRecord {
  id: number;
  target: { pid: number; startTime: number };
  name: string;
  actor: string;
  status: string;
  change: { op: string };
  before: { op: string; value: { nice?: number } } | null;
  note: string | null;
}

/** Pids of our own helpers, to name them in the engine's changes. */
const roles = new Map<number, string>();

/** "name [our role] op ×N (status ×N, ...), ..." */
function summarize(rows: ChangeRecord[]): string {
  const groups = new Map<string, Map<string, number>>();
  for (const row of rows) {
    const role = roles.get(row.target.pid);
    const what = `${row.name}${role ? ` [${role}]` : ''} ${row.change.op}`;
    const statuses = groups.get(what) ?? new Map<string, number>();
    statuses.set(row.status, (statuses.get(row.status) ?? 0) + 1);
    groups.set(what, statuses);
  }
  return [...groups]
    .map(([what, statuses]) => `${what} ×${[...statuses.values()].reduce((a, b) => a + b, 0)} (${[...statuses].map(([status, n]) => `${status} ${n}`).join(', ')})`)
    .join('; ');
}

async function listChanges(all: boolean): Promise<ChangeRecord[]> {
  const result = await agent!.api<ChangeRecord[]>('changes.list', { all, limit: 5000 });
  if (!result.ok) throw new Error(`changes.list failed: ${JSON.stringify(result.error)}`);
  return result.value;
}

interface Target {
  pid: number;
  startTime: number;
  niceBefore: number;
  changeId: number;
}

async function applyOperatorChanges(): Promise<Target[]> {
  const targets: Target[] = [];
  for (let i = 0; i < JOURNAL_TARGETS; i++) {
    // Not `sleep 7200` as bench:agent's idle processes: another run's cleanup by name must not end these.
    const child = spawn('sleep', ['7201'], { detached: true, stdio: 'ignore' });
    groups.add(child.pid!);
    child.unref();
    const pid = child.pid!;
    await sleep(50); // until it has exec'd sleep
    const niceBefore = niceOf(pid);
    const startTime = startTimeOf(pid);
    const result = await agent!.api<{ result: { kind: string; message?: string }; changeId: number | null }>('changes.apply', {
      target: { pid, startTime },
      change: { op: 'priority', value: { nice: Math.min(19, niceBefore + NICE_STEP) } },
      why: 'bench:load journal check',
    });
    if (!result.ok || result.value.result.kind !== 'applied' || result.value.changeId === null) {
      throw new Error(`changes.apply on pid ${pid} did not apply: ${JSON.stringify(result)}`);
    }
    targets.push({ pid, startTime, niceBefore, changeId: result.value.changeId });
  }
  return targets;
}

/** The target is still the process we changed (same pid and start time). */
function alive(target: Target): boolean {
  try {
    return startTimeOf(target.pid) === target.startTime;
  } catch {
    return false;
  }
}

async function checkJournal(targets: Target[], idsBefore: Set<number>): Promise<boolean> {
  const problems: string[] = [];
  const all = await listChanges(true);
  const ids = new Set(all.map((row) => row.id));
  const lost = [...idsBefore].filter((id) => !ids.has(id));
  if (lost.length) problems.push(`journal rows listed before the storm are gone: ${lost.join(', ')}`);
  const inForce = await listChanges(false);
  // A target ended by something outside this run (another run's cleanup) says nothing about the journal: left out, and said.
  const vanished = targets.filter((t) => !alive(t));
  const notes = vanished.map((target) => `  - pid ${target.pid} was ended by something outside this run; its change ${target.changeId} is left out (status ${all.find((r) => r.id === target.changeId)?.status ?? 'missing'})`);
  targets = targets.filter((t) => alive(t));
  if (targets.length === 0) problems.push('every target was ended by something outside this run: nothing to check');
  for (const target of targets) {
    const row = inForce.find((r) => r.id === target.changeId);
    if (!row) problems.push(`change ${target.changeId} (pid ${target.pid}) is not listed as in force (status ${all.find((r) => r.id === target.changeId)?.status ?? 'missing'})`);
    else if (row.status !== 'applied') problems.push(`change ${target.changeId} (pid ${target.pid}) has status ${row.status}`);
    const niceNow = niceOf(target.pid);
    if (niceNow !== Math.min(19, target.niceBefore + NICE_STEP)) problems.push(`pid ${target.pid} has nice ${niceNow} before undo, expected ${target.niceBefore + NICE_STEP}`);
    const undone = await agent!.api<{ kind: string }>('changes.undo', { id: target.changeId });
    if (!undone.ok || undone.value.kind !== 'applied') problems.push(`undo of change ${target.changeId}: ${JSON.stringify(undone)}`);
    const niceAfter = niceOf(target.pid);
    if (niceAfter !== target.niceBefore) problems.push(`pid ${target.pid} has nice ${niceAfter} after undo, expected ${target.niceBefore}`);
  }
  const after = await listChanges(true);
  for (const target of targets) {
    const status = after.find((r) => r.id === target.changeId)?.status;
    if (status !== 'restored') problems.push(`change ${target.changeId} has status ${status ?? 'missing'} after undo, expected restored`);
  }
  // Rows that need attention (a restore that failed) or never settled, whoever made them.
  for (const row of after.filter((r) => r.status === 'restore-failed' || r.status === 'pending')) {
    notes.push(`  note: change ${row.id} by ${row.actor} on ${row.name} (pid ${row.target.pid}${roles.has(row.target.pid) ? `, ${roles.get(row.target.pid)}` : ''}) ${row.change.op}: ${row.status}${row.note ? `: ${row.note}` : ''}`);
  }
  console.log(`\njournal: ${targets.length} operator changes (nice +${NICE_STEP} on pids ${targets.map((t) => t.pid).join(', ')}), ${idsBefore.size} rows before the storm, ${all.length} after the clients`);
  for (const note of notes) console.log(note);
  for (const problem of problems) console.log(`  - ${problem}`);
  console.log(`journal intact: ${problems.length ? 'FAIL' : 'PASS'}`);
  return problems.length === 0;
}

/**
 * The agent puts back what is still in force when it stops (SIGTERM): every priority change listed
 * as in force right before the stop, on a process that is still the same one, has its original nice.
 */
async function checkRestoreOnExit(): Promise<boolean> {
  const inForce = (await listChanges(false)).filter((row) => row.change.op === 'priority' && row.before?.value.nice !== undefined);
  const child = agent!.child;
  await agent!.stop();
  const problems: string[] = [];
  let checked = 0;
  for (const row of inForce) {
    let nice: number;
    try {
      if (startTimeOf(row.target.pid) !== row.target.startTime) continue;
      nice = niceOf(row.target.pid);
    } catch {
      continue; // gone
    }
    checked++;
    if (nice !== row.before!.value.nice) problems.push(`change ${row.id} by ${row.actor} on ${row.name} (pid ${row.target.pid}): nice ${nice} after the agent stopped, ${row.before!.value.nice} before the change`);
  }
  console.log(`
agent stop: exit ${child.exitCode ?? child.signalCode}; ${inForce.length} priority changes in force at the stop, ${checked} on processes still running`);
  for (const problem of problems) console.log(`  - ${problem}`);
  const ok = problems.length === 0 && child.exitCode === 0;
  console.log(`restored on exit: ${ok ? 'PASS' : 'FAIL'}`);
  return ok;
}

// ---- the run ----

async function main(): Promise<boolean> {
  console.log(
    `# bench:load: ${INTERVAL_MS} ms interval, mode ${MODE}; storm ${RATE}/s for ${STORM_S} s (${WORKERS} workers, children live ${LIFETIME_MS} ms${EXEC ? ', exec /bin/sleep' : ', fork only'}); ${CLIENTS} WebSocket clients for ${CLIENTS_S} s`,
  );
  console.log(`# machine: ${readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? '?'} CPUs, load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} and ${processCount()} processes at start (other work may be running)`);
  bare = startBareScan(INTERVAL_MS);
  plain.add(bare);
  roles.set(bare.pid!, 'bare scan');
  roles.set(process.pid, 'this bench');
  agent = await serveAgent({ intervalMs: INTERVAL_MS, mode: MODE, stderr: 'pipe' });
  console.log(`agent pid ${agent.pid}, warming up ${WARMUP_S} s`);
  await sleep(WARMUP_S * 1000);

  const targets = await applyOperatorChanges();
  const idsBefore = new Set((await listChanges(true)).map((row) => row.id));
  const rows: PhaseRow[] = [];
  rows.push(await measurePhase('before', BEFORE_S));

  let storm: StormResult[] = [];
  rows.push(
    await measurePhase('storm', STORM_S, async () => {
      const workers = Array.from({ length: WORKERS }, () => startStormWorker(RATE / WORKERS, STORM_S));
      storm = await Promise.all(workers.map((worker) => worker.done));
    }),
  );
  const engineRowsInStorm = (await listChanges(true)).filter((row) => !idsBefore.has(row.id) && row.actor === 'engine');
  rows.push(await measurePhase('after', AFTER_S));

  const clients = Array.from({ length: CLIENTS }, () => openClient(agent!.port));
  let clientsSeconds = 0;
  if (CLIENTS > 0) {
    await Promise.race([Promise.all(clients.map((c) => c.firstTick)), sleep(30_000).then(() => Promise.reject(new Error('not every client had a tick within 30 s')))]);
    rows.push(
      await measurePhase(`clients (${CLIENTS})`, CLIENTS_S, async () => {
        clients.forEach((c) => c.startCounting());
        await sleep(CLIENTS_S * 1000);
        clients.forEach((c) => c.close());
      }),
    );
    clientsSeconds = rows.at(-1)!.window.seconds;
    // Whether what each connection held (its delta encoder, its send buffer) is let go once it closes.
    rows.push(await measurePhase('after clients', AFTER_S));
  }

  printPhases(rows);

  const forks = storm.reduce((sum, s) => sum + s.forks, 0);
  const stormSeconds = Math.max(...storm.map((s) => s.seconds));
  const failed = storm.reduce((sum, s) => sum + s.failed, 0);
  console.log(
    `\nstorm: ${forks} processes in ${stormSeconds.toFixed(1)} s = ${(forks / stormSeconds).toFixed(0)}/s reached of ${RATE}/s asked (${((forks / stormSeconds / RATE) * 100).toFixed(0)} %)${failed ? `, ${failed} forks failed` : ''}; the engine journaled ${engineRowsInStorm.length} changes meanwhile${engineRowsInStorm.length ? ` (${summarize(engineRowsInStorm)})` : ''}`,
  );
  const before = rows[0]!.window.rssEndBytes;
  const after = rows[2]!.window.rssEndBytes;
  console.log(`RSS: ${fmtMb(before)} MB after "before", ${fmtMb(rows[1]!.window.rssEndBytes)} MB after the storm, ${fmtMb(after)} MB after "after" (${(((after - before) / before) * 100).toFixed(1)} % against "before")${CLIENTS > 0 ? `, ${fmtMb(rows[3]!.window.rssEndBytes)} MB after the clients, ${fmtMb(rows[4]!.window.rssEndBytes)} MB after "after clients"` : ''}`);

  if (CLIENTS > 0) {
    const expected = Math.floor((clientsSeconds * 1000) / INTERVAL_MS);
    const ticks = clients.map((c) => c.stats.ticks);
    const periods = clients.filter((c) => c.stats.ticks > 1).map((c) => (c.stats.lastAt - c.stats.firstAt) / (c.stats.ticks - 1));
    console.log(`\n| clients | s | expected ticks | ticks per client min / median / max | tick period ms (median) | sequence gaps (sum) | broken deltas (sum) | longest silence ms (max) | KB/s per client (median) |`);
    console.log('|---|---|---|---|---|---|---|---|---|');
    console.log(
      `| ${CLIENTS} | ${clientsSeconds.toFixed(0)} | ${expected} | ${Math.min(...ticks)} / ${median(ticks)} / ${Math.max(...ticks)} | ${periods.length ? median(periods).toFixed(0) : '-'} | ${clients.reduce((s, c) => s + c.stats.seqGaps, 0)} | ${clients.reduce((s, c) => s + c.stats.broken, 0)} | ${Math.max(...clients.map((c) => c.stats.maxSilenceMs)).toFixed(0)} | ${(median(clients.map((c) => c.stats.bytes)) / 1024 / clientsSeconds).toFixed(1)} |`,
    );
    const starved = ticks.filter((t) => t < expected * 0.9).length;
    if (starved) console.log(`${starved} of ${CLIENTS} clients had fewer than 90 % of the expected ticks`);
  }

  const journalOk = await checkJournal(targets, idsBefore);
  const exitOk = await checkRestoreOnExit();
  const stderr = agent.stderr().trim();
  if (stderr) {
    const lines = stderr.split('\n');
    console.log(`\nagent stderr (${lines.length} lines):\n${lines.slice(0, 20).join('\n')}${lines.length > 20 ? '\n…' : ''}`);
  }
  return journalOk && exitOk;
}

main()
  .then(async (ok) => {
    await shutdown();
    process.exit(ok ? 0 : 1);
  })
  .catch(async (error: unknown) => {
    if (interrupted) return;
    console.error(error);
    if (agent?.stderr()) console.error(`agent stderr:\n${agent.stderr()}`);
    await shutdown();
    process.exit(1);
  });

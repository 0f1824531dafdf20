// bench:responsiveness (run: npx tsx test/bench/responsiveness.bench.ts [--seconds N]).
// A latency probe (responsiveness/probe.mjs: a fixed ~4 ms CPU burst every 25-33 ms, like a UI frame)
// runs in this process's session and counts as the foreground (its pid is passed as foregroundPid).
// 2 × cores CPU hogs (responsiveness/hog.mjs) start together in ONE other session (setsid -f), the way
// a build started from another terminal would. Runs:
//   1. no hogs; 2. hogs, engine off; 3. hogs, reactive balancer only (planner off, nothing known);
//   4. hogs, full engine in Auto (pipeline with forecasts + planner; the hog program's profile is
//      seeded as batch, so the engine knows it at launch);
//   5./6. as 3./4. with the cross-session cgroup weight (intents crossSessionWeight), because with
//      sched_autogroup_enabled=1 nice only ranks processes inside one session.
// Real Linux sampler, real actuator with the real Linux adapter, journaled into a temp database,
// everything restored at the end. The engine only sees this benchmark's own processes (the machine
// is shared: it must not renice other people's work); system CPU and PSI are the machine's.
// "Ours" is decided from the sample itself (the probe's pid, or a command line running hog.mjs), so a
// hog is in the very first sample taken after it starts; the hogs start at a random phase of the
// tick after the engine has ticked at least twice (so they are launches, not processes present at
// start). "First action" is measured from the spawn request (just before `setsid`, so never later
// than the hogs' real start; the kernel start time is not precise enough: /proc/stat's btime has
// whole-second resolution) to the moment the actuator has applied the action; the goal is one
// interval plus the time the sample takes. "All hogs": until every hog was acted on.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sample } from '../../src-shared/domain';
import { DEFAULT_RULES_FILE, RulesFileSchema, type RulesFile } from '../../src-shared/rules';
import { createEngine } from '../../src-main/engine/engine';
import { createProfileStore, updateProfiles, type ProfileStore } from '../../src-main/engine/profiles';
import { processKey } from '../../src-main/engine/common';
import { createPipeline } from '../../src-main/core/pipeline';
import { Actuator } from '../../src-main/platform/actuator';
import { autogroupEnabled, createLinuxAdapter } from '../../src-main/platform/adapter.linux';
import { Journal } from '../../src-main/store/journal';
import { AuditLog } from '../../src-main/store/audit';
import { createLinuxSampler } from '../../src-main/monitor/sampler.linux';
import { quantile, startProbeScript } from './responsiveness/common';

const here = dirname(fileURLToPath(import.meta.url));
const PROBE = join(here, 'responsiveness', 'probe.mjs');
const HOG = join(here, 'responsiveness', 'hog.mjs');
const argSeconds = process.argv.indexOf('--seconds');
const PHASE_S = argSeconds > 0 ? Number(process.argv[argSeconds + 1]) : 15;
const CORES = cpus().length;
const HOGS = 2 * CORES;
const TICK_MS = 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startProbe(seconds: number, iterations: number | 'calibrate') {
  return startProbeScript(PROBE, seconds, iterations);
}

interface Hogs {
  startedAt: number;
  pids: number[];
  files: string[];
  counts(): { pid: number; count: number }[];
  kill(): Promise<void>;
}

/** Start the hogs in one new session (setsid -f: not our descendants, so the guard lets Allot act). */
async function startHogs(dir: string, tag: string): Promise<Hogs> {
  const files = Array.from({ length: HOGS }, (_, i) => join(dir, `hog-${tag}-${i}.txt`));
  const script = files.map((f) => `'${process.execPath}' '${HOG}' '${f}' &`).join(' ') + ' wait';
  const startedAt = Date.now();
  spawnSync('setsid', ['-f', 'sh', '-c', script], { stdio: 'ignore' });
  const deadline = Date.now() + 5000;
  while (files.some((f) => !existsSync(f)) && Date.now() < deadline) await sleep(20);
  const read = () =>
    files.map((f) => {
      try {
        const [pid, count] = readFileSync(f, 'utf8').trim().split(' ').map(Number);
        if (!Number.isFinite(pid) || !Number.isFinite(count)) throw new Error('partial write');
        return { pid: pid!, count: count! };
      } catch {
        return { pid: 0, count: 0 };
      }
    });
  let pids = read().map((r) => r.pid).filter((p) => p > 0);
  for (let i = 0; i < 20 && pids.length < HOGS; i++) {
    await sleep(50);
    pids = read().map((r) => r.pid).filter((p) => p > 0);
  }
  return {
    startedAt,
    pids,
    files,
    counts: read,
    async kill() {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await sleep(100);
    },
  };
}

interface PhaseResult {
  name: string;
  /** From the spawn request to the first applied action on a hog, ms. */
  firstActionFromStartMs?: number;
  /** From the spawn request to the first action on the last hog acted on, ms. */
  allHogsActedMs?: number;
  /** Duration of the sample (collector) in the tick that made the first action, ms. */
  firstActionSampleMs?: number;
  p50Ms: number;
  p99Ms: number;
  bursts: number[];
  hogItersPerSec?: number;
  firstActionMs?: number;
  actions: number;
  notes: string[];
  autogroups?: string;
  /** The hogs' program identity as the sampler saw it (to seed the full engine's profile). */
  hogProgram?: { id: string; name: string };
}

type EngineKind = 'off' | 'balancer' | 'full';

/** A profile store that already knows the hog program as batch work (as if seen for a minute). */
function seededProfiles(programId: string, name: string): ProfileStore {
  const store = createProfileStore();
  const t0 = Date.now() - 3_600_000;
  for (let i = 0; i < 90; i++) {
    const p = { pid: 999_999, ppid: 1, startTime: 1, startedAtMs: t0, name, cmdline: name, user: 'root', state: 'running' as const, threads: 1, nice: 0, cpuPercent: 100, rssBytes: 40e6, programId, voluntaryCtxSwitchesPerSec: 1, involuntaryCtxSwitchesPerSec: 200 };
    const s: Sample = {
      at: t0 + i * 1000,
      intervalMs: 1000,
      system: { cpuPercent: 100, cores: [], memory: { totalBytes: 8e9, availableBytes: 4e9, usedBytes: 4e9, swapTotalBytes: 0, swapUsedBytes: 0 }, processCount: 1 },
      processes: [p],
    };
    updateProfiles(store, s, new Map([[processKey(p), 'batch' as const]]));
  }
  return store;
}

function balancerOnlyRules(): RulesFile {
  const raw = JSON.parse(JSON.stringify(DEFAULT_RULES_FILE)) as RulesFile;
  raw.profiles = raw.profiles.map((p) => (p.id === raw.activeProfile ? { ...p, plannerEnabled: false } : p));
  return RulesFileSchema.parse(raw);
}

async function phase(name: string, kind: EngineKind, iterations: number, dir: string, opts: { crossSessionWeight?: boolean; hogProgram?: { id: string; name: string } } = {}): Promise<PhaseResult> {
  const notes: string[] = [];
  let journal: Journal | undefined;
  let stop = false;
  let loop: Promise<void> = Promise.resolve();
  let firstActionAt: number | undefined;
  let firstActionSampleMs: number | undefined;
  const hogStartMs = new Map<number, number>();
  let spawnAt: number | undefined;
  const hogFirstActionMs = new Map<number, number>();
  let ticks = 0;
  let actions = 0;
  let hogs: Hogs | undefined;
  const hogProgramSeen: { id?: string; name?: string } = {};
  const log: string[] = [];
  /** Decision id -> hog pid, to name the feedback loop's verdicts. */
  const decisionPid = new Map<string, number>();
  const probe = startProbe(PHASE_S + 2, iterations);
  await sleep(300);
  let restore: (() => Promise<void>) | undefined;
  {
    const sampler = createLinuxSampler();
    journal = Journal.open(join(dir, `allot-${name.replace(/\W+/g, '-')}.db`));
    const actuator = new Actuator({ adapter: createLinuxAdapter({ selfPids: [process.pid], exclusions: [] }), journal, audit: new AuditLog(journal.db) });
    const engine = createEngine({
      mode: kind === 'off' ? 'off' : 'auto',
      selfPid: process.pid,
      rules: kind === 'balancer' ? balancerOnlyRules() : DEFAULT_RULES_FILE,
      ...(kind === 'full' && opts.hogProgram ? { profiles: seededProfiles(opts.hogProgram.id, opts.hogProgram.name) } : {}),
    });
    const pipeline = createPipeline({
      engine,
      actuator,
      mode: kind === 'off' ? 'off' : 'auto',
      forecasts: { stepMs: TICK_MS },
      ...(opts.crossSessionWeight ? { intents: { crossSessionWeight: true } } : {}),
      autogroups: autogroupEnabled(),
    });
    await sampler.sample();
    loop = (async () => {
      let next = Date.now() + TICK_MS;
      while (!stop) {
        await sleep(Math.max(0, next - Date.now()));
        next += TICK_MS;
        if (stop) break;
        const sampleStart = performance.now();
        const s = await sampler.sample();
        const sampleMs = performance.now() - sampleStart;
        const isHog = (p: Sample['processes'][number]) => p.cmdline.includes(HOG) && p.name !== 'sh'; // not the setsid shell
        const sample: Sample = { ...s, processes: s.processes.filter((p) => p.pid === probe.pid || isHog(p)) };
        for (const p of sample.processes) {
          if (!isHog(p)) continue;
          if (!hogStartMs.has(p.pid)) hogStartMs.set(p.pid, spawnAt ?? Date.now());
          if (p.programId) {
            hogProgramSeen.id = p.programId;
            hogProgramSeen.name = p.name;
          }
        }
        const report = await pipeline.step(sample, { foregroundPid: probe.pid });
        ticks++;
        for (const ev of report.events) {
          if (ev.type !== 'decision' || !hogStartMs.has(ev.decision.target.pid)) continue;
          decisionPid.set(ev.decision.id, ev.decision.target.pid);
        }
        for (const ev of report.events) {
          // The feedback loop's verdicts on actions on hogs (protected = the probe; wait in ms/s).
          if (ev.type !== 'effect' || !decisionPid.has(ev.effect.decisionId)) continue;
          const n = ev.effect.numbers;
          log.push(`${((Date.now() - (spawnAt ?? Date.now())) / 1000).toFixed(2)}s effect of ${ev.effect.decisionId.split('-')[0]} step on pid ${decisionPid.get(ev.effect.decisionId)}: ${ev.effect.verdict}${n.baselinePredicted ? ' (vs predicted)' : ''}, probe wait ${n.protectedWaitMsPerSecBefore ?? '-'} -> ${n.protectedWaitMsPerSecAfter ?? '-'} ms/s${ev.effect.reverted ? ', reverted' : ''}`);
        }
        for (const d of report.decisions) {
          if (!hogStartMs.has(d.decision.target.pid)) continue;
          const tag = `${d.decision.source} ${d.decision.change.op}=${JSON.stringify(d.decision.change.value)} -> ${d.result?.status ?? 'not applied'}${d.changes ? ` [${d.changes.map((c) => `${c.op}:${c.kind}${c.reason ? `/${c.reason}` : ''}`).join(',')}]` : ''}`;
          log.push(`${((Date.now() - (spawnAt ?? Date.now())) / 1000).toFixed(2)}s ${tag}`);
          if (d.result?.status !== 'applied') continue;
          actions++;
          if (firstActionAt === undefined) firstActionSampleMs = sampleMs;
          firstActionAt ??= Date.now();
          if (!hogFirstActionMs.has(d.decision.target.pid)) hogFirstActionMs.set(d.decision.target.pid, Date.now() - hogStartMs.get(d.decision.target.pid)!);
          for (const c of d.changes ?? []) if (c.message && !notes.includes(`${c.op}: ${c.message}`)) notes.push(`${c.op}: ${c.message}`);
        }
      }
    })();
    restore = async () => {
      stop = true;
      await loop;
      await pipeline.setMode('off');
      await actuator.restoreAll('system', 'benchmark done');
      sampler.close();
    };
  }
  // Let the engine tick twice, then start the hogs at a random phase of the tick.
  while (ticks < 2) await sleep(20);
  await sleep(Math.floor(Math.random() * TICK_MS));
  spawnAt = Date.now();
  hogs = await startHogs(dir, name.replace(/\W+/g, '-'));
  const c0 = hogs.counts();
  if (c0.some((c) => c.pid === 0)) notes.push('a hog count could not be read at the start');
  const t0 = Date.now();
  await sleep(PHASE_S * 1000);
  const c1 = hogs.counts();
  const t1 = Date.now();
  let autogroups: string | undefined;
  {
    const groups = new Set<string>();
    for (const pid of hogs.pids) {
      try {
        groups.add(readFileSync(`/proc/${pid}/autogroup`, 'utf8').trim());
      } catch {
        /* gone */
      }
    }
    autogroups = [...groups].join(', ');
  }
  const hogNice = hogs.pids.map((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    } catch {
      return NaN;
    }
  });
  if (restore) await restore();
  const result = await probe.done;
  await hogs.kill();
  journal?.close();
  const iters = c1.reduce((s, c) => s + c.count, 0) - c0.reduce((s, c) => s + c.count, 0);
  const bursts = result.bursts.filter(([at]) => at >= hogs!.startedAt && at <= hogs!.startedAt + PHASE_S * 1000).map(([, ms]) => ms);
  const sorted = [...bursts].sort((a, b) => a - b);
  return {
    name,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    bursts,
    hogItersPerSec: iters / ((t1 - t0) / 1000),
    ...(firstActionAt !== undefined ? { firstActionMs: firstActionAt - hogs.startedAt } : {}),
    ...(firstActionAt !== undefined ? { firstActionFromStartMs: firstActionAt - spawnAt } : {}),
    ...(hogFirstActionMs.size === hogStartMs.size && hogStartMs.size > 0 ? { allHogsActedMs: Math.max(...hogFirstActionMs.values()) } : {}),
    ...(firstActionSampleMs !== undefined ? { firstActionSampleMs } : {}),
    actions,
    notes: [...notes, `hog nice at the end: ${hogNice.join(',')}`, `decisions on hogs: ${log.join('; ') || 'none'}`],
    ...(autogroups ? { autogroups } : {}),
    ...(hogProgramSeen.id ? { hogProgram: { id: hogProgramSeen.id, name: hogProgramSeen.name ?? 'node' } } : {}),
  };
}

async function noHogs(iterations: number | 'calibrate'): Promise<{ p50Ms: number; p99Ms: number; iterations: number; n: number }> {
  const probe = startProbe(Math.min(10, PHASE_S), iterations);
  const r = await probe.done;
  const sorted = r.bursts.map(([, ms]) => ms).slice(5).sort((a, b) => a - b);
  return { p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), iterations: r.iterations, n: sorted.length };
}

async function main() {
  if (process.platform !== 'linux') {
    console.log('bench:responsiveness runs on Linux only');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'allot-resp-'));
  const all: PhaseResult[] = [];
  try {
    console.log(`cores ${CORES}, hogs ${HOGS} in one setsid session, ${PHASE_S} s per run, tick ${TICK_MS} ms, sched_autogroup_enabled=${autogroupEnabled() ? 1 : 0}`);
    const calib = await noHogs('calibrate');
    const base = await noHogs(calib.iterations);
    console.log(`probe burst = ${calib.iterations} iterations; unloaded p50 ${base.p50Ms.toFixed(2)} ms, p99 ${base.p99Ms.toFixed(2)} ms (${base.n} bursts)`);
    const off = await phase('hogs, engine off', 'off', calib.iterations, dir);
    const hogProgram = off.hogProgram;
    console.log(`hog program as sampled: ${hogProgram?.id ?? 'not seen'}`);
    all.push(off);
    all.push(await phase('hogs, balancer only', 'balancer', calib.iterations, dir));
    all.push(await phase('hogs, full engine (auto)', 'full', calib.iterations, dir, hogProgram ? { hogProgram } : {}));
    all.push(await phase('hogs, balancer + cgroup weight', 'balancer', calib.iterations, dir, { crossSessionWeight: true }));
    all.push(await phase('hogs, full engine + cgroup weight', 'full', calib.iterations, dir, { crossSessionWeight: true, ...(hogProgram ? { hogProgram } : {}) }));

    const over = base.p99Ms * 2;
    const rows: string[][] = [['run', 'p50/unloaded', 'p99/unloaded', 'bursts >2×p99u', 'hog thrpt/off', 'first action', 'all hogs', 'actions']];
    rows.push(['no hogs', '1.00', '1.00', '-', '-', '-', '-', '-']);
    for (const r of all) {
      const frac = r.bursts.filter((b) => b > over).length / Math.max(1, r.bursts.length);
      rows.push([
        r.name,
        (r.p50Ms / base.p50Ms).toFixed(2),
        (r.p99Ms / base.p99Ms).toFixed(2),
        `${(frac * 100).toFixed(1)}%`,
        off.hogItersPerSec ? (r.hogItersPerSec! / off.hogItersPerSec).toFixed(2) : '-',
        r.firstActionFromStartMs !== undefined ? `${r.firstActionFromStartMs} ms` : '-',
        r.allHogsActedMs !== undefined ? `${r.allHogsActedMs} ms` : '-',
        String(r.actions),
      ]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    console.log('');
    for (const [i, r] of rows.entries()) {
      console.log(r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  '));
      if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    }
    console.log('');
    console.log('first action / all hogs: from the spawn request to the action applied (first hog / last hog).');
    for (const r of all) console.log(`${r.name}: the first action's tick sampled for ${r.firstActionSampleMs?.toFixed(0) ?? '-'} ms`);
    for (const r of all) console.log(`${r.name}: p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms, ${r.bursts.length} bursts; hog autogroup(s): ${r.autogroups ?? '?'}; ${r.notes.join(' | ')}`);
    const full = all[2]!;
    console.log(`\ngoals (full engine, no cgroup weight): p99 ≤ 1.3× unloaded: ${(full.p99Ms / base.p99Ms).toFixed(2)}×; hog throughput ≥ 0.85× off: ${(full.hogItersPerSec! / off.hogItersPerSec!).toFixed(2)}×; first action ≤ one tick + the sample's time (${TICK_MS} + ${full.firstActionSampleMs?.toFixed(0) ?? '?'} ms): ${full.firstActionFromStartMs ?? 'none'} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

// `allot simulate <trace.jsonl|scenario:NAME> [--policy rules.json] [--mode off|advise|auto]
//   [--seconds N] [--seed N] [--json]`
// Replays a recorded trace (`allot record`) or a synthetic scenario through the simulator twice, with
// the engine off and with the given policy and mode, and prints a table comparing the two: interactive
// frame latency, batch throughput, per-tier run-queue wait, actions and alerts.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { ModeSchema, type Mode } from '../../src-shared/engine';
import { parseRulesFile, type RulesFile } from '../../src-shared/rules';
import { loadTrace } from '../store/trace';
import { runSimulation, type SimulationOptions, type SimulationReport } from '../engine/simulator';
import { getScenario, scenarioNames } from '../engine/scenarios';

export const SIMULATE_USAGE = `usage: allot simulate <trace.jsonl|scenario:NAME> [--policy rules.json] [--mode off|advise|auto] [--seconds N] [--seed N] [--json]
scenarios: ${scenarioNames().join(', ')}`;

export interface SimulateArgs {
  source: string;
  policyPath?: string;
  mode: Mode;
  seconds?: number;
  seed: number;
  json: boolean;
}

export type ParseResult = { ok: true; args: SimulateArgs } | { ok: false; error: string };

export function parseSimulateArgs(argv: readonly string[]): ParseResult {
  let source: string | undefined;
  let policyPath: string | undefined;
  let mode: Mode = 'auto';
  let seconds: number | undefined;
  let seed = 1;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--policy') policyPath = value();
      else if (a === '--mode') {
        const m = ModeSchema.safeParse(value());
        if (!m.success) return { ok: false, error: `--mode must be off, advise or auto` };
        mode = m.data;
      } else if (a === '--seconds') {
        const n = Number(value());
        if (!Number.isFinite(n) || n <= 0 || n > 86_400) return { ok: false, error: '--seconds must be a number between 0 and 86400' };
        seconds = n;
      } else if (a === '--seed') {
        const n = Number(value());
        if (!Number.isInteger(n)) return { ok: false, error: '--seed must be an integer' };
        seed = n;
      } else if (a === '--json') json = true;
      else if (a.startsWith('--')) return { ok: false, error: `unknown option ${a}` };
      else if (source === undefined) source = a;
      else return { ok: false, error: `unexpected argument ${a}` };
    } catch (e) {
      return { ok: false, error: (e as Error).message };
    }
  }
  if (!source) return { ok: false, error: 'missing <trace.jsonl|scenario:NAME>' };
  return { ok: true, args: { source, ...(policyPath ? { policyPath } : {}), mode, ...(seconds !== undefined ? { seconds } : {}), seed, json } };
}

function fmt(v: number, digits = 2): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}×` : '-';
}

/** The comparison table (plain text). */
export function formatComparison(off: SimulationReport, policy: SimulationReport, label: string): string {
  const rows: [string, string, string, string][] = [];
  const add = (name: string, a: number, b: number, digits = 2) => rows.push([name, fmt(a, digits), fmt(b, digits), ratio(b, a)]);
  if (off.interactive.frames > 0) {
    add('interactive frames', off.interactive.frames, policy.interactive.frames, 0);
    add('interactive p50 ms', off.interactive.p50Ms, policy.interactive.p50Ms);
    add('interactive p99 ms', off.interactive.p99Ms, policy.interactive.p99Ms);
    add('interactive max ms', off.interactive.maxMs, policy.interactive.maxMs);
    add('late frames %', off.interactive.lateFraction * 100, policy.interactive.lateFraction * 100);
  }
  add('batch core-seconds', off.batch.cpuSeconds, policy.batch.cpuSeconds);
  add('background core-seconds', off.background.cpuSeconds, policy.background.cpuSeconds);
  const tiers = new Set([...Object.keys(off.tiers), ...Object.keys(policy.tiers)]);
  for (const t of tiers) {
    const a = off.tiers[t as keyof typeof off.tiers];
    const b = policy.tiers[t as keyof typeof policy.tiers];
    add(`wait ms/s, tier ${t}`, a?.waitMsPerSec ?? 0, b?.waitMsPerSec ?? 0);
  }
  add('decisions', off.actions.decisions, policy.actions.decisions, 0);
  add('actions applied', off.actions.applied, policy.actions.applied, 0);
  add('alerts', Object.values(off.alerts).reduce((a, b) => a + b, 0), Object.values(policy.alerts).reduce((a, b) => a + b, 0), 0);
  add('peak memory MiB', off.peakMemoryUsedBytes / 1048576, policy.peakMemoryUsedBytes / 1048576, 0);
  add('PSI cpu some % (mean)', off.meanPsiCpuSomePercent, policy.meanPsiCpuSomePercent);
  const header: [string, string, string, string] = ['metric', 'engine off', label, 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: readonly string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Entry point for `allot simulate`. Returns the exit code. */
export async function simulateCommand(argv: string[]): Promise<number> {
  const parsed = parseSimulateArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`allot simulate: ${parsed.error}\n${SIMULATE_USAGE}\n`);
    return 2;
  }
  const args = parsed.args;
  let rules: RulesFile | undefined;
  if (args.policyPath) {
    let text: string;
    try {
      text = readFileSync(args.policyPath, 'utf8');
    } catch (e) {
      process.stderr.write(`allot simulate: cannot read ${args.policyPath}: ${(e as Error).message}\n`);
      return 2;
    }
    const r = parseRulesFile(text);
    if (!r.ok) {
      process.stderr.write(`allot simulate: ${args.policyPath}: ${JSON.stringify(r.error)}\n`);
      return 2;
    }
    rules = r.value;
  }
  const base: Omit<SimulationOptions, 'mode'> = { seed: args.seed, ...(rules ? { rules } : {}), ...(args.seconds !== undefined ? { seconds: args.seconds } : {}) };
  if (args.source.startsWith('scenario:')) {
    const name = args.source.slice('scenario:'.length);
    const scenario = getScenario(name);
    if (!scenario) {
      process.stderr.write(`allot simulate: unknown scenario "${name}"\n${SIMULATE_USAGE}\n`);
      return 2;
    }
    base.scenario = scenario;
  } else {
    const loaded = await loadTrace(args.source);
    if (!loaded.ok) {
      process.stderr.write(`allot simulate: ${args.source}, line ${loaded.error.lineNumber}: ${loaded.error.message}\n`);
      return 2;
    }
    if (loaded.samples.length < 2) {
      process.stderr.write(`allot simulate: ${args.source} has ${loaded.samples.length} sample(s); at least 2 are needed\n`);
      return 2;
    }
    base.trace = {
      name: basename(args.source),
      intervalMs: loaded.header.intervalMs,
      samples: loaded.samples,
      cores: loaded.header.systemInfo.logicalCores,
      memoryBytes: loaded.header.systemInfo.totalMemoryBytes,
    };
  }
  try {
    const off = runSimulation({ ...base, mode: 'off' });
    const policy = runSimulation({ ...base, mode: args.mode });
    if (args.json) {
      process.stdout.write(`${JSON.stringify({ off, policy }, null, 2)}\n`);
      return 0;
    }
    const source = base.scenario ? `scenario ${base.scenario.name}: ${base.scenario.description}` : `trace ${args.source}`;
    process.stdout.write(`${source}\n${policy.seconds} s simulated on ${policy.cores} cores, seed ${args.seed}\n\n`);
    process.stdout.write(`${formatComparison(off, policy, `${args.policyPath ? basename(args.policyPath) : 'default rules'} (${args.mode})`)}\n`);
    if (policy.decisionLog.length) {
      process.stdout.write(`\nfirst decisions (${args.mode}):\n`);
      for (const d of policy.decisionLog.slice(0, 12)) process.stdout.write(`  ${fmt(d.atMs / 1000, 1).padStart(7)} s  ${d.source.padEnd(8)} ${d.target} ${d.change}${d.applied ? '' : ' (advice)'}\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`allot simulate: ${(e as Error).message}\n`);
    return 1;
  }
}

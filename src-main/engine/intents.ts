// Engine intents -> OS changes, and OS results -> the engine's result shape. Pure.
//
// The engine speaks in intents (src-shared/engine.ts `Change`: absolute nice, a tier, a CPU cap in %
// of one core, ...); the actuator speaks OS operations (src-shared/actions.ts `Change`). One intent
// may need several OS changes (a tier is a nice value plus an I/O priority, TIER_DEFAULTS); the
// engine gets one result per decision back, decided by the primary (first) change, with what
// happened to the others in the message.
//
// Cross-session weight: with sched_autogroup_enabled=1 nice only ranks a process inside its session.
// With `crossSessionWeight` a lowering nice also asks for a cgroup CPU weight equal to that nice's
// CFS weight (cgroup v2 scale, 100 = nice 0), which ranks the process against other sessions too;
// a nice of 0 or less removes Allot's weight.
import type { ActionResult as OsResult, Change as OsChange, RefusalReason } from '../../src-shared/actions';
import { TIER_DEFAULTS, type IntentResult, type Intent } from '../../src-shared/engine';
import { niceWeight } from './common';

export interface IntentOptions {
  /** Also set a cgroup CPU weight for lowered nice values (see header). Default false. */
  crossSessionWeight?: boolean;
}

export type IntentMapping = { ok: true; changes: OsChange[] } | { ok: false; error: string };

export { NICE_TO_WEIGHT, niceWeight } from './common';

/** cgroup v2 cpu.weight (1..10000, 100 = nice 0) that matches a nice value. */
export function niceToCgroupWeight(nice: number): number {
  return Math.max(1, Math.min(10_000, Math.round((niceWeight(nice) * 100) / 1024)));
}

function priorityChanges(nice: number, options: IntentOptions): OsChange[] {
  const out: OsChange[] = [{ op: 'priority', value: { nice } }];
  if (options.crossSessionWeight) out.push({ op: 'cpuWeight', value: { weight: nice > 0 ? niceToCgroupWeight(nice) : null } });
  return out;
}

/** The OS changes that carry out one engine intent. Bad values give an error and no changes. */
export function intentToChanges(intent: Intent, options: IntentOptions = {}): IntentMapping {
  switch (intent.op) {
    case 'nice':
      if (!Number.isInteger(intent.value) || intent.value < -20 || intent.value > 19) return { ok: false, error: `nice ${intent.value} is outside -20..19` };
      return { ok: true, changes: priorityChanges(intent.value, options) };
    case 'sessionNice':
      if (!Number.isInteger(intent.value) || intent.value < -20 || intent.value > 19) return { ok: false, error: `session nice ${intent.value} is outside -20..19` };
      return { ok: true, changes: [{ op: 'sessionPriority', value: { nice: intent.value } }] };
    case 'tier': {
      const t = TIER_DEFAULTS[intent.value];
      if (!t) return { ok: false, error: `unknown tier ${String(intent.value)}` };
      return { ok: true, changes: [...priorityChanges(t.nice, options), { op: 'ioPriority', value: { ioClass: t.ioClass, level: t.ioLevel } }] };
    }
    case 'affinity': {
      const cpus = [...new Set(intent.value)].sort((a, b) => a - b);
      if (cpus.length === 0) return { ok: false, error: 'an affinity needs at least one CPU' };
      if (cpus.some((c) => !Number.isInteger(c) || c < 0 || c > 4095)) return { ok: false, error: `CPU numbers must be integers 0..4095, got ${cpus.join(',')}` };
      return { ok: true, changes: [{ op: 'affinity', value: { cpus } }] };
    }
    case 'ioPriority':
      return { ok: true, changes: [{ op: 'ioPriority', value: { ioClass: intent.value.class, level: intent.value.level } }] };
    case 'cpuCap':
      if (intent.value === null) return { ok: true, changes: [{ op: 'cpuCap', value: { percentOfOneCore: null } }] };
      if (!(intent.value >= 1)) return { ok: false, error: `a CPU cap must be at least 1% of a core, got ${intent.value}` };
      return { ok: true, changes: [{ op: 'cpuCap', value: { percentOfOneCore: intent.value } }] };
    case 'memoryLimit':
      if (intent.value === null) return { ok: true, changes: [{ op: 'memoryLimit', value: { softLimitBytes: null } }] };
      if (!(intent.value >= 4096)) return { ok: false, error: `a memory limit must be at least 4096 bytes, got ${intent.value}` };
      return { ok: true, changes: [{ op: 'memoryLimit', value: { softLimitBytes: Math.round(intent.value) } }] };
  }
}

/** Engine status for an OS refusal reason. */
export function statusOfRefusal(reason: RefusalReason): Exclude<IntentResult['status'], 'applied'> {
  switch (reason) {
    case 'gone':
      return 'gone';
    case 'unsupported':
      return 'unsupported';
    case 'protected':
    case 'external':
      return 'skipped';
    case 'irreversible':
      // Allot could not put it back with its rights: the engine backs off and reports why.
      return 'unsupported';
    default:
      return 'failed';
  }
}

function describe(change: OsChange, result: OsResult): string {
  return result.kind === 'applied' ? `${change.op} applied${result.note ? ` (${result.note})` : ''}` : `${change.op} ${result.reason}: ${result.message}`;
}

/**
 * One engine result for a decision from the OS results of its changes (same order as the changes).
 * The first change decides the status; the others are reported in the message.
 */
export function toEngineResult(decisionId: string, at: number, changes: readonly OsChange[], results: readonly OsResult[]): IntentResult {
  const first = results[0];
  if (!first || changes.length === 0) return { decisionId, at, status: 'failed', message: 'no change was made' };
  const notes: string[] = [];
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    const c = changes[i];
    if (!c) continue;
    if (i === 0 && r.kind === 'applied' && !r.note) continue;
    notes.push(describe(c, r));
  }
  const message = notes.join('; ').slice(0, 1024);
  const status = first.kind === 'applied' ? 'applied' : statusOfRefusal(first.reason);
  return { decisionId, at, status, ...(message ? { message } : {}) };
}

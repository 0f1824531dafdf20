// The per-process override dialog's form: its state, its defaults from the target process, and the
// validation that turns it into contract Change objects (or field messages). Pure, so it is tested
// without a DOM and the dialog stays a thin view.
import type { Capabilities, Change, Operation } from '../../src-shared/actions';
import { requestChannels } from '../../src-shared/contract';
import type { IoClass, ProcessSample, SystemInfo } from '../../src-shared/domain';
import { formatBytes } from '../../src-shared/format';
import { TIER_DEFAULTS, TIERS, type Tier } from '../../src-shared/engine';
import type { RuleAction } from '../../src-shared/rules';
import type { ApplyOutcome } from '../store/changes';

export type DurationKind = 'exit' | 'minutes' | 'rule';
export type MemoryUnit = 'MiB' | 'GiB';

/** Sections of the dialog; each maps to one operation. */
export type SectionId = 'priority' | 'affinity' | 'ioPriority' | 'cpuCap' | 'memoryLimit' | 'efficiencyMode' | 'suspend';
export const SECTIONS: readonly SectionId[] = ['priority', 'affinity', 'ioPriority', 'cpuCap', 'memoryLimit', 'efficiencyMode', 'suspend'];

export interface OverrideForm {
  /** Which sections the person chose to change. */
  enabled: Record<SectionId, boolean>;
  nice: string;
  cpus: number[];
  ioClass: IoClass;
  ioLevel: string;
  cpuCapPercent: string;
  memoryAmount: string;
  memoryUnit: MemoryUnit;
  efficiency: boolean;
  suspended: boolean;
  duration: DurationKind;
  minutes: string;
  /** The tier picked (it sets nice and I/O priority from TIER_DEFAULTS); '' when none. */
  tier: Tier | '';
}

export type FieldId = SectionId | 'duration' | 'form';
export type FormErrors = Partial<Record<FieldId, string>>;

export type FormResult =
  | { ok: true; changes: Change[]; durationMs?: number; /** With "always for this program": the rule's action. */ ruleAction?: RuleAction }
  | { ok: false; errors: FormErrors };

/** Form fields a tier sets: nice and I/O priority from TIER_DEFAULTS (both sections switched on). */
export function applyTier(form: OverrideForm, tier: Tier): OverrideForm {
  const mapping = TIER_DEFAULTS[tier];
  return {
    ...form,
    tier,
    nice: String(mapping.nice),
    ioClass: mapping.ioClass,
    ioLevel: String(mapping.ioLevel),
    enabled: { ...form.enabled, priority: true, ioPriority: true },
  };
}

/** True while the form's priority and I/O priority are still exactly what its tier set. */
export function tierIntact(form: OverrideForm): form is OverrideForm & { tier: Tier } {
  if (form.tier === '') return false;
  const mapping = TIER_DEFAULTS[form.tier];
  return (
    form.enabled.priority &&
    form.enabled.ioPriority &&
    form.nice.trim() === String(mapping.nice) &&
    form.ioClass === mapping.ioClass &&
    (mapping.ioClass === 'idle' || form.ioLevel.trim() === String(mapping.ioLevel))
  );
}
export { TIERS };

const MIB = 1024 * 1024;

export function initialForm(target: ProcessSample, info: Pick<SystemInfo, 'logicalCores'> | undefined, preset?: Operation | 'tier'): OverrideForm {
  const cores = info?.logicalCores ?? Math.max(1, ...(target.affinity ?? [0]).map((c) => c + 1));
  const enabled = Object.fromEntries(SECTIONS.map((id) => [id, false])) as Record<SectionId, boolean>;
  if (preset && (SECTIONS as readonly string[]).includes(preset)) enabled[preset as SectionId] = true;
  if (preset === 'tier') {
    enabled.priority = true;
    enabled.ioPriority = true;
  }
  return {
    enabled,
    nice: String(target.nice),
    cpus: target.affinity ? [...target.affinity] : Array.from({ length: cores }, (_, i) => i),
    ioClass: target.ioClass && target.ioClass !== 'none' ? target.ioClass : 'best-effort',
    ioLevel: String(target.ioLevel ?? 4),
    cpuCapPercent: '50',
    memoryAmount: String(Math.max(64, Math.ceil(target.rssBytes / MIB))),
    memoryUnit: 'MiB',
    efficiency: true,
    suspended: target.state !== 'stopped',
    duration: 'exit',
    minutes: '30',
    tier: '',
  };
}

function integer(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^[-+]?\d+$/.test(trimmed)) return undefined;
  return Number(trimmed);
}
function decimal(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^\d+(\.\d+)?$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/** True once the contract has rule channels (then "always for this program" can make a rule). */
export function rulesAvailable(): boolean {
  return requestChannels.some((channel) => channel.startsWith('rules.'));
}
export const RULES_UNAVAILABLE_REASON = 'rules arrive with the engine';

/** Why a section cannot be used here, from capabilities.get (undefined = allowed). */
export function sectionDisabledReason(section: SectionId, capabilities: Capabilities | undefined): string | undefined {
  if (!capabilities) return undefined;
  const capability = capabilities.operations[section];
  if (!capability) return 'this operation is not reported by the core';
  return capability.supported ? undefined : capability.detail || 'not supported here';
}

export function validateForm(
  form: OverrideForm,
  context: { logicalCores: number; totalMemoryBytes: number; capabilities?: Capabilities },
): FormResult {
  const errors: FormErrors = {};
  const changes: Change[] = [];
  const on = (section: SectionId): boolean => form.enabled[section];
  for (const section of SECTIONS) {
    if (!on(section)) continue;
    const reason = sectionDisabledReason(section, context.capabilities);
    if (reason) errors[section] = `Not available: ${reason}`;
  }
  if (on('priority') && !errors.priority) {
    const nice = integer(form.nice);
    if (nice === undefined || nice < -20 || nice > 19) errors.priority = 'Nice must be a whole number from -20 (highest) to 19 (lowest).';
    else changes.push({ op: 'priority', value: { nice } });
  }
  if (on('affinity') && !errors.affinity) {
    const cpus = [...new Set(form.cpus)].sort((a, b) => a - b);
    if (cpus.length === 0) errors.affinity = 'Choose at least one CPU.';
    else if (cpus.some((cpu) => !Number.isInteger(cpu) || cpu < 0 || cpu >= context.logicalCores))
      errors.affinity = `CPUs must be between 0 and ${context.logicalCores - 1}.`;
    else changes.push({ op: 'affinity', value: { cpus } });
  }
  if (on('ioPriority') && !errors.ioPriority) {
    const needsLevel = form.ioClass === 'realtime' || form.ioClass === 'best-effort';
    const level = needsLevel ? integer(form.ioLevel) : 0;
    if (level === undefined || level < 0 || level > 7) errors.ioPriority = 'I/O level must be a whole number from 0 (highest) to 7 (lowest).';
    else changes.push({ op: 'ioPriority', value: { ioClass: form.ioClass, level } });
  }
  if (on('cpuCap') && !errors.cpuCap) {
    const percent = decimal(form.cpuCapPercent);
    const max = 100 * context.logicalCores;
    if (percent === undefined || percent < 1 || percent > max)
      errors.cpuCap = `CPU cap must be a number from 1 to ${max} (% of one core; ${max} = all ${context.logicalCores} cores).`;
    else changes.push({ op: 'cpuCap', value: { percentOfOneCore: percent } });
  }
  if (on('memoryLimit') && !errors.memoryLimit) {
    const amount = decimal(form.memoryAmount);
    const bytes = amount === undefined ? undefined : Math.round(amount * (form.memoryUnit === 'GiB' ? 1024 * MIB : MIB));
    if (bytes === undefined || bytes < MIB) errors.memoryLimit = 'Memory limit must be at least 1 MiB.';
    else if (context.totalMemoryBytes > 0 && bytes > context.totalMemoryBytes)
      errors.memoryLimit = `Memory limit cannot exceed this machine's memory (${formatBytes(context.totalMemoryBytes)}).`;
    else changes.push({ op: 'memoryLimit', value: { softLimitBytes: bytes } });
  }
  if (on('efficiencyMode') && !errors.efficiencyMode) changes.push({ op: 'efficiencyMode', value: { enabled: form.efficiency } });
  if (on('suspend') && !errors.suspend) changes.push({ op: 'suspend', value: { suspended: form.suspended } });

  let durationMs: number | undefined;
  if (form.duration === 'minutes') {
    const minutes = integer(form.minutes);
    if (minutes === undefined || minutes < 1 || minutes > 7 * 24 * 60) errors.duration = 'Minutes must be a whole number from 1 to 10080 (one week).';
    else durationMs = minutes * 60_000;
  } else if (form.duration === 'rule' && !rulesAvailable()) {
    errors.duration = `"Always for this program" is not available yet: ${RULES_UNAVAILABLE_REASON}.`;
  } else if (form.duration === 'rule') {
    const notRules = (['efficiencyMode', 'suspend'] as const).filter((section) => on(section)).map((section) => SECTION_NAMES[section]);
    if (notRules.length > 0) errors.duration = `${notRules.join(' and ')} cannot be a rule: choose "until the process exits" or "for N minutes".`;
  }
  if (Object.keys(errors).length === 0 && changes.length === 0) errors.form = 'Choose at least one thing to change.';
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  if (form.duration === 'rule') return { ok: true, changes, ruleAction: ruleActionOf(form, changes) };
  return durationMs !== undefined ? { ok: true, changes, durationMs } : { ok: true, changes };
}

const SECTION_NAMES: Record<SectionId, string> = {
  priority: 'Priority',
  affinity: 'Affinity',
  ioPriority: 'I/O priority',
  cpuCap: 'CPU cap',
  memoryLimit: 'Memory limit',
  efficiencyMode: 'Efficiency mode',
  suspend: 'Suspend',
};

/** The rule action for validated changes: the tier when the form still says exactly the tier, else each knob. */
export function ruleActionOf(form: OverrideForm, changes: readonly Change[]): RuleAction {
  const action: RuleAction = {};
  const useTier = tierIntact(form);
  if (useTier) action.tier = form.tier;
  for (const change of changes) {
    if (change.op === 'priority' && !useTier) action.nice = change.value.nice;
    else if (change.op === 'ioPriority' && !useTier) action.ioPriority = { class: change.value.ioClass, level: change.value.level };
    else if (change.op === 'affinity') action.affinity = [...change.value.cpus];
    else if (change.op === 'cpuCap' && change.value.percentOfOneCore !== null) action.cpuCapPercent = change.value.percentOfOneCore;
    else if (change.op === 'memoryLimit' && change.value.softLimitBytes !== null) {
      action.memoryLimitBytes = change.value.softLimitBytes;
      action.memoryLimitWhen = 'always';
    }
  }
  return action;
}

/** Checkbox groups for the affinity picker: SMT siblings together, each core once. */
export function coreGroups(info: Pick<SystemInfo, 'logicalCores' | 'smtSiblings'> | undefined): number[][] {
  const count = info?.logicalCores ?? 1;
  const groups: number[][] = [];
  const placed = new Set<number>();
  for (let core = 0; core < count; core++) {
    if (placed.has(core)) continue;
    const siblings = (info?.smtSiblings?.[core] ?? [core]).filter((c) => c >= 0 && c < count && !placed.has(c));
    const group = [...new Set([core, ...siblings])].sort((a, b) => a - b);
    group.forEach((c) => placed.add(c));
    groups.push(group);
  }
  return groups;
}

/** What the dialog asks when Allot could not put a change back with its rights (refusal `irreversible`). */
export const IRREVERSIBLE_QUESTION = 'Allot cannot raise it back without administrator rights: continue?';

/**
 * The changes refused as `irreversible`, once each, with the reasons: the person is asked before
 * they are made anyway.
 */
export function irreversibleChanges(outcomes: readonly ApplyOutcome[]): { changes: Change[]; reasons: string[] } {
  const changes = new Map<string, Change>();
  const reasons = new Set<string>();
  for (const o of outcomes) {
    if (o.kind !== 'done' || o.output.result.kind !== 'refused' || o.output.result.reason !== 'irreversible') continue;
    changes.set(JSON.stringify(o.change), o.change);
    reasons.add(`${o.target.name} (${o.target.pid}): ${o.output.result.message}`);
  }
  return { changes: [...changes.values()], reasons: [...reasons] };
}

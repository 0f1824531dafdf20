// Structured edits of the rules file text (thresholds of a profile, tenant budgets, a rule for one
// program). Each edit reads the person's JSON as written (not the parsed file with its defaults, so
// the file stays as small as they wrote it), changes one thing, and writes it back; the result goes
// through the same validation and save path as typing in the editor. Pure.
import { BalancerThresholdsSchema, parseRulesFile, type BalancerThresholds, type RuleAction, type RulesFile, type RulesFileError } from '../../src-shared/rules';

export type EditResult = { ok: true; text: string } | { ok: false; error: RulesFileError };

/** Balancer thresholds every profile starts from. */
export const DEFAULT_THRESHOLDS: BalancerThresholds = BalancerThresholdsSchema.parse({});

/** The thresholds seed 001 asks to expose as controls, with their units. */
export const THRESHOLD_CONTROLS = [
  { key: 'processCpuPercent', label: 'Restrain a process above', unit: '% of one core', min: 0, max: 409_600, step: 1 },
  { key: 'overForMs', label: 'for at least', unit: 'ms', min: 0, max: 3_600_000, step: 100 },
  { key: 'restoreBelowPercent', label: 'Restore when it falls below', unit: '% of one core', min: 0, max: 409_600, step: 1 },
  { key: 'systemCpuPercent', label: 'Only while system CPU is at least', unit: '% of all cores', min: 0, max: 100, step: 1 },
] as const satisfies readonly { key: keyof BalancerThresholds; label: string; unit: string; min: number; max: number; step: number }[];
export type ThresholdKey = (typeof THRESHOLD_CONTROLS)[number]['key'];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Apply `edit` to the raw JSON of a valid file; refuse (with the parser's error) when the text is not valid now or after. */
export function editRulesText(text: string, edit: (raw: Json) => string | undefined): EditResult {
  const before = parseRulesFile(text);
  if (!before.ok) return before;
  const raw = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as Json;
  const problem = edit(raw);
  if (problem) return { ok: false, error: { line: 1, column: 1, path: '', message: problem } };
  const next = JSON.stringify(raw, null, 2) + '\n';
  const after = parseRulesFile(next);
  if (!after.ok) return after;
  return { ok: true, text: next };
}

/** Effective thresholds of a profile (its overrides over the defaults). */
export function profileThresholds(file: RulesFile, profileId: string): BalancerThresholds {
  const profile = file.profiles.find((p) => p.id === profileId);
  return { ...DEFAULT_THRESHOLDS, ...(profile?.thresholds ?? {}) };
}

/** Set (or, with undefined, remove) one balancer threshold of a profile. */
export function setProfileThreshold(text: string, profileId: string, key: keyof BalancerThresholds, value: number | undefined): EditResult {
  return editRulesText(text, (raw) => {
    const profiles = Array.isArray(raw['profiles']) ? (raw['profiles'] as unknown[]) : [];
    const profile = profiles.find((p): p is Json => isObject(p) && p['id'] === profileId);
    if (!profile) return `no profile "${profileId}" in the rules file`;
    const thresholds = isObject(profile['thresholds']) ? profile['thresholds'] : (profile['thresholds'] = {});
    if (value === undefined) delete thresholds[key];
    else thresholds[key] = value;
    return undefined;
  });
}

export interface TenantBudgetPatch {
  cpuBudgetPercent?: number | null;
  memoryBudgetBytes?: number | null;
}

/** Set or (null) remove a tenant's CPU and memory budgets. */
export function setTenantBudget(text: string, tenantId: string, patch: TenantBudgetPatch): EditResult {
  return editRulesText(text, (raw) => {
    const tenants = Array.isArray(raw['tenants']) ? (raw['tenants'] as unknown[]) : [];
    const tenant = tenants.find((t): t is Json => isObject(t) && t['id'] === tenantId);
    if (!tenant) return `no tenant "${tenantId}" in the rules file`;
    for (const key of ['cpuBudgetPercent', 'memoryBudgetBytes'] as const) {
      const value = patch[key];
      if (value === undefined) continue;
      if (value === null) delete tenant[key];
      else tenant[key] = value;
    }
    return undefined;
  });
}

export interface ProgramRuleTarget {
  /** Process name (used when the executable path is unknown). */
  name: string;
  exe?: string;
}

/** A rule id for a program: "user-" + a slug of its name ("user-my-app"). */
export function programRuleId(target: ProgramRuleTarget): string {
  const base = (target.exe ? (target.exe.split(/[\\/]/).pop() ?? target.name) : target.name).toLowerCase();
  const slug = base.replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 56) || 'program';
  return `user-${slug}`;
}

/**
 * Add (or replace) a rule for one program with these actions: matched by its executable path when
 * known, else by its name; put first (the first matching rule wins per field) and listed in every
 * profile that names its rules, so it is in force whichever profile is active.
 */
export function addProgramRule(text: string, target: ProgramRuleTarget, action: RuleAction, description?: string): EditResult & { ruleId?: string } {
  const id = programRuleId(target);
  const result = editRulesText(text, (raw) => {
    const rules = Array.isArray(raw['rules']) ? (raw['rules'] as unknown[]) : (raw['rules'] = []);
    const rule: Json = {
      id,
      description: description ?? `Set from the override dialog for ${target.exe ?? target.name}.`,
      match: target.exe ? { exe: target.exe } : { name: target.name },
      action,
    };
    const existing = rules.findIndex((r) => isObject(r) && r['id'] === id);
    if (existing >= 0) rules.splice(existing, 1);
    rules.unshift(rule);
    const profiles = Array.isArray(raw['profiles']) ? (raw['profiles'] as unknown[]) : [];
    for (const profile of profiles) {
      if (isObject(profile) && Array.isArray(profile['rules']) && !(profile['rules'] as unknown[]).includes(id)) (profile['rules'] as unknown[]).unshift(id);
    }
    return undefined;
  });
  return result.ok ? { ...result, ruleId: id } : result;
}

/** "line 12, column 20 (rules.1.action.nice): message". */
export function describeRulesError(error: { line: number; column: number; path: string; message: string }): string {
  return `line ${error.line}, column ${error.column}${error.path ? ` (${error.path})` : ''}: ${error.message}`;
}

import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_FILE, formatRulesFile, parseRulesFile } from '../../../src-shared/rules';
import { addProgramRule, DEFAULT_THRESHOLDS, profileThresholds, programRuleId, setProfileThreshold, setTenantBudget } from '../../../src-renderer/model/rules-edit';

const TEXT = formatRulesFile(DEFAULT_RULES_FILE);
const WITH_TENANT = JSON.stringify({ version: 1, rules: [], profiles: [{ id: 'balanced', name: 'B', rules: '*' }], tenants: [{ id: 'alice', name: 'Alice', users: ['alice'] }] }, null, 2);

describe('rules-edit', () => {
  it('sets and removes a profile threshold, keeping the rest of the file', () => {
    const set = setProfileThreshold(TEXT, 'balanced', 'processCpuPercent', 33);
    expect(set.ok).toBe(true);
    if (!set.ok) return;
    const parsed = parseRulesFile(set.text);
    expect(parsed.ok && profileThresholds(parsed.value, 'balanced').processCpuPercent).toBe(33);
    expect(parsed.ok && parsed.value.rules.length).toBe(DEFAULT_RULES_FILE.rules.length);
    const removed = setProfileThreshold(set.text, 'balanced', 'processCpuPercent', undefined);
    const back = removed.ok ? parseRulesFile(removed.text) : undefined;
    expect(back?.ok && profileThresholds(back.value, 'balanced').processCpuPercent).toBe(DEFAULT_THRESHOLDS.processCpuPercent);
  });

  it('refuses an out-of-range threshold with the parser error and refuses edits of an invalid file', () => {
    const bad = setProfileThreshold(TEXT, 'balanced', 'systemCpuPercent', 150);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.path).toBe('profiles.0.thresholds.systemCpuPercent');
    const broken = setProfileThreshold('{ "version": 1,', 'balanced', 'overForMs', 100);
    expect(broken.ok).toBe(false);
    expect(setProfileThreshold(TEXT, 'nope', 'overForMs', 100)).toMatchObject({ ok: false, error: { message: 'no profile "nope" in the rules file' } });
  });

  it('sets and clears tenant budgets', () => {
    const set = setTenantBudget(WITH_TENANT, 'alice', { cpuBudgetPercent: 40, memoryBudgetBytes: 2 ** 31 });
    const parsed = set.ok ? parseRulesFile(set.text) : undefined;
    expect(parsed?.ok && parsed.value.tenants[0]).toMatchObject({ cpuBudgetPercent: 40, memoryBudgetBytes: 2 ** 31 });
    const cleared = set.ok ? setTenantBudget(set.text, 'alice', { cpuBudgetPercent: null }) : undefined;
    const again = cleared?.ok ? parseRulesFile(cleared.text) : undefined;
    expect(again?.ok && again.value.tenants[0]!.cpuBudgetPercent).toBeUndefined();
  });

  it('adds a program rule first, in every listed profile, replacing an earlier one', () => {
    expect(programRuleId({ name: 'My App!', exe: 'C:\\Apps\\My App.exe' })).toBe('user-my-app.exe');
    const once = addProgramRule(TEXT, { name: 'blender', exe: '/usr/bin/blender' }, { tier: 'background' });
    expect(once.ok && once.ruleId).toBe('user-blender');
    const twice = once.ok ? addProgramRule(once.text, { name: 'blender', exe: '/usr/bin/blender' }, { nice: 15 }) : undefined;
    const parsed = twice?.ok ? parseRulesFile(twice.text) : undefined;
    if (!parsed?.ok) throw new Error('expected a valid file');
    expect(parsed.value.rules.filter((r) => r.id === 'user-blender')).toHaveLength(1);
    expect(parsed.value.rules[0]).toMatchObject({ id: 'user-blender', match: { exe: '/usr/bin/blender' }, action: { nice: 15 } });
    for (const profile of parsed.value.profiles) if (profile.rules !== '*') expect(profile.rules).toContain('user-blender');
  });
});

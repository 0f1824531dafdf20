// Rules file parsing (src-shared/rules.ts, tested here because the policy engine is its consumer)
// and policy matching.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_FILE, formatRulesFile, parseCpuList, parseRulesFile, scanJsonPositions } from '../../../src-shared/rules';
import { compilePolicy } from '../../../src-main/engine/policy';
import { proc } from '../../fixtures/samples/builder';

const minimal = (rules: unknown[], extra = '') => `{
  "version": 1,
  "rules": ${JSON.stringify(rules, null, 2)},
  "profiles": [ { "id": "balanced", "name": "Balanced", "rules": "*" } ]${extra}
}`;

describe('parseRulesFile', () => {
  it('accepts the built-in defaults round-tripped through text', () => {
    const res = parseRulesFile(formatRulesFile(DEFAULT_RULES_FILE));
    expect(res.ok).toBe(true);
    if (res.ok) expect(res.value.rules.length).toBe(DEFAULT_RULES_FILE.rules.length);
  });

  it('reports JSON syntax errors with line and column', () => {
    const text = '{\n  "version": 1,\n  "rules": [\n    { "id": "a" "match": {} }\n  ]\n}';
    const res = parseRulesFile(text);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.line).toBe(4);
      expect(res.error.column).toBe(17);
      expect(res.error.message).toMatch(/expected "," or "}"/);
    }
  });

  it('reports a schema error at the line of the offending value', () => {
    const text = minimal([{ id: 'ok', match: { name: 'x' }, action: { tier: 'batch' } }, { id: 'bad', match: { name: 'y' }, action: { nice: 42 } }]);
    const res = parseRulesFile(text);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.path).toBe('rules.1.action.nice');
      const lines = text.split('\n');
      expect(lines[res.error.line - 1]).toContain('"nice": 42');
      expect(lines[res.error.line - 1]!.slice(res.error.column - 1).startsWith('42')).toBe(true);
      expect(res.error.message).toMatch(/19|less than/i);
    }
  });

  it('points unknown fields at the key, and missing fields at the object', () => {
    const unknown = parseRulesFile(minimal([{ id: 'a', match: { name: 'x', colour: 'red' }, action: { tier: 'batch' } }]));
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) {
      expect(unknown.error.message).toContain('"colour"');
      expect(unknown.error.line).toBe(8);
    }
    const missing = parseRulesFile(minimal([{ id: 'a', match: { name: 'x' } }]));
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error.message).toContain('"action"');
  });

  it('refuses unknown rule references, bad regexes, duplicate keys and oversize input', () => {
    const ref = parseRulesFile(`{"version":1,"rules":[],"profiles":[{"id":"balanced","name":"B","rules":["nope"]}]}`);
    expect(ref.ok).toBe(false);
    if (!ref.ok) expect(ref.error.message).toContain('unknown rule id "nope"');
    const re = parseRulesFile(minimal([{ id: 'r', match: { cmdlineRegex: '(' }, action: { exclude: true } }]));
    expect(re.ok).toBe(false);
    const longRe = parseRulesFile(minimal([{ id: 'r', match: { cmdlineRegex: 'a'.repeat(201) }, action: { exclude: true } }]));
    expect(longRe.ok).toBe(false);
    const dup = parseRulesFile('{"version":1,\n"version":1}');
    expect(dup.ok).toBe(false);
    if (!dup.ok) expect(dup.error).toMatchObject({ line: 2, column: 1 });
    expect(parseRulesFile(' '.repeat(1_048_577)).ok).toBe(false);
    expect(parseRulesFile('').ok).toBe(false);
  });

  it('tracks positions of nested values', () => {
    const pos = scanJsonPositions('{"a":[1,{"b":true}]}');
    expect(pos.get(JSON.stringify(['a', 1, 'b']))).toBe(13);
    expect(pos.get(JSON.stringify(['a', 1, 'b']) + '#key')).toBe(9);
  });

  it('parses CPU lists', () => {
    expect(parseCpuList('0-2,5')).toEqual([0, 1, 2, 5]);
    expect(parseCpuList('3-1')).toBeUndefined();
    expect(parseCpuList('x')).toBeUndefined();
  });
});

describe('compilePolicy', () => {
  it('matches the defaults: compilers batch, browsers interactive, audio servers excluded', () => {
    const policy = compilePolicy(DEFAULT_RULES_FILE);
    expect(policy.match(proc({ pid: 10, name: 'cc1plus' }), 'make').tier).toBe('batch');
    expect(policy.match(proc({ pid: 11, name: 'firefox-bin' }), undefined).tier).toBe('interactive');
    expect(policy.match(proc({ pid: 12, name: 'pipewire' }), undefined).exclude).toBe(true);
    expect(policy.match(proc({ pid: 13, name: 'bash' }), undefined).ruleIds).toEqual([]);
    // The quiet-only cap rule is not active in Balanced but is in Quiet.
    expect(policy.match(proc({ pid: 14, name: 'rustc' }), undefined).cpuCapPercent).toBeUndefined();
    expect(compilePolicy(DEFAULT_RULES_FILE, 'quiet').match(proc({ pid: 14, name: 'rustc' }), undefined).cpuCapPercent).toBe(100);
  });

  it('matches exe, cmdline, regex, user and parent; first rule wins per field', () => {
    const res = parseRulesFile(
      minimal([
        { id: 'r1', match: { exe: '/opt/*/bin/tool', user: 'bob' }, action: { nice: 5 } },
        { id: 'r2', match: { cmdline: '--index' }, action: { tier: 'background', nice: 10 } },
        { id: 'r3', match: { cmdlineRegex: '^node .*jest', parent: 'npm*' }, action: { affinity: '0-1', ioPriority: { class: 'idle', level: 7 } } },
      ]),
    );
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const policy = compilePolicy(res.value);
    const a = policy.match(proc({ pid: 20, name: 'tool', exe: '/opt/x/bin/tool', user: 'bob', cmdline: 'tool --index' }), undefined);
    expect(a.ruleIds).toEqual(['r1', 'r2']);
    expect(a.nice).toBe(5);
    expect(a.tier).toBe('background');
    const b = policy.match(proc({ pid: 21, name: 'node', cmdline: 'node /x/jest' }), 'npm');
    expect(b.affinity).toEqual([0, 1]);
    expect(b.ioPriority).toEqual({ class: 'idle', level: 7 });
    expect(policy.match(proc({ pid: 22, name: 'node', cmdline: 'node /x/jest' }), 'bash').ruleIds).toEqual([]);
  });

  it('says which names a rule lowers at launch: lowering tiers and positive nice, in the active profile only', () => {
    const policy = compilePolicy(DEFAULT_RULES_FILE);
    expect(policy.lowersAtLaunch('cc1')).toBe(true); // compilers: batch
    expect(policy.lowersAtLaunch('tracker-miner-fs')).toBe(true); // indexers: batch
    expect(policy.lowersAtLaunch('firefox')).toBe(false); // interactive raises, never lowers
    expect(policy.lowersAtLaunch('bash')).toBe(false); // no rule
    const res = parseRulesFile(
      minimal([
        { id: 'nice', match: { name: 'nicer' }, action: { nice: 5 } },
        { id: 'raise', match: { name: 'raiser' }, action: { nice: -5 } },
        { id: 'off', enabled: false, match: { name: 'disabled' }, action: { tier: 'batch' } },
        { id: 'by-exe', match: { exe: '/opt/*' }, action: { tier: 'batch' } },
        { id: 'cap-only', match: { name: 'capped' }, action: { cpuCapPercent: 50 } },
      ]),
    );
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const custom = compilePolicy(res.value);
    expect(custom.lowersAtLaunch('nicer')).toBe(true);
    expect(custom.lowersAtLaunch('raiser')).toBe(false);
    expect(custom.lowersAtLaunch('disabled')).toBe(false);
    expect(custom.lowersAtLaunch('anything')).toBe(false); // a rule without a name is seen at the next sample
    expect(custom.lowersAtLaunch('capped')).toBe(false);
  });
});

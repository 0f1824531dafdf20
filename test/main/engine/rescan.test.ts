// Rules apply to processes already running when the engine switches to Auto or the rules change.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES_FILE, RulesFileSchema } from '../../../src-shared/rules';
import { createEngine } from '../../../src-main/engine/engine';
import { World } from '../../fixtures/samples/builder';

const withRule = (nice: number) =>
  RulesFileSchema.parse({
    ...JSON.parse(JSON.stringify(DEFAULT_RULES_FILE)),
    rules: [...DEFAULT_RULES_FILE.rules, { id: 'quiet-indexer', enabled: true, match: { name: 'indexer' }, action: { nice } }],
    profiles: DEFAULT_RULES_FILE.profiles.map((p) => ({ ...p, rules: '*' })),
  });

const procs = () => ({ processes: [{ pid: 50, name: 'editor', cpuPercent: 10 }, { pid: 80, name: 'indexer', cpuPercent: 5 }], inputs: { foregroundPid: 50 } });

describe('rules reach running processes', () => {
  it('switching from Advise to Auto applies the rule to a process that was already running', () => {
    const engine = createEngine({ mode: 'advise', rules: withRule(19) });
    const world = new World(engine, 1000);
    world.run(5, procs);
    expect(world.nice.get(80) ?? 0).toBe(0);
    engine.setMode('auto', world.at);
    const after = world.run(2, procs);
    expect(after.filter((d) => d.target.pid === 80)).toMatchObject([{ source: 'rule', change: { op: 'nice', value: 19 }, apply: true }]);
    expect(world.nice.get(80)).toBe(19);
  });

  it('a changed rule applies to a process that is already running', () => {
    const engine = createEngine({ mode: 'auto', rules: withRule(10) });
    const world = new World(engine, 1000);
    world.run(3, procs);
    expect(world.nice.get(80)).toBe(10);
    engine.setRules(withRule(15));
    world.run(2, procs);
    expect(world.nice.get(80)).toBe(15);
  });
});

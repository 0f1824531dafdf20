// Work in proportion to change: the collector hands over the identical ProcessSample object for a
// process that did not run, and the engine reuses what it worked out for it. This replays the same
// trace twice, once with every process a fresh object each tick (the engine then does all the work,
// as before the incremental path existed) and once with unchanged processes interned (the identical
// object, as the Linux collector delivers them), and requires the same decisions.
import { describe, expect, it } from 'vitest';
import type { ProcessSample, Sample } from '../../../src-shared/domain';
import type { Decision } from '../../../src-shared/engine';
import { createEngine } from '../../../src-main/engine/engine';
import { createClassifier } from '../../../src-main/engine/classify';
import { createProcessIndex } from '../../../src-main/engine/process-index';
import { compilePolicy } from '../../../src-main/engine/policy';
import { DEFAULT_RULES_FILE } from '../../../src-shared/rules';
import { proc, sample, T0, type ProcSpec } from '../../fixtures/samples/builder';

/** A desktop: an editor in front, 150 idle processes, then a build of hogs that come and go. */
function trace(ticks: number, nice: ReadonlyMap<number, number>): (i: number) => ProcSpec[] {
  return (i) => {
    const specs: ProcSpec[] = [{ pid: 100, name: 'code', cpuPercent: 20 + (i % 3) * 5, voluntaryCtxSwitchesPerSec: 200, involuntaryCtxSwitchesPerSec: 5, runQueueWaitMsPerSec: i > 10 ? 40 : 2 }];
    for (let k = 0; k < 150; k++) specs.push({ pid: 1000 + k, name: k % 7 === 0 ? 'systemd-journald' : `idle${k % 25}`, cpuPercent: 0 });
    if (i >= 10 && i < ticks - 20) {
      for (let h = 0; h < 3; h++) specs.push({ pid: 5000 + h + Math.floor(i / 15) * 10, name: 'cc1', cpuPercent: 95, involuntaryCtxSwitchesPerSec: 300, voluntaryCtxSwitchesPerSec: 2, ppid: 4000 });
      specs.push({ pid: 4000, name: 'make', cpuPercent: 1 });
    }
    return specs.map((s) => ({ ...s, nice: nice.get(s.pid) ?? 0 }));
  };
}

function replay(intern: boolean): Decision[] {
  const engine = createEngine({ mode: 'auto' });
  const nice = new Map<number, number>();
  const previous = new Map<string, { json: string; p: ProcessSample }>();
  const decisions: Decision[] = [];
  const ticks = 100;
  const gen = trace(ticks, nice);
  for (let i = 0; i < ticks; i++) {
    const at = T0 + (i + 1) * 1000;
    let processes = gen(i).map((spec) => proc(spec));
    if (intern) {
      processes = processes.map((p) => {
        const key = `${p.pid}:${p.startTime}`;
        const json = JSON.stringify(p);
        const before = previous.get(key);
        if (before && before.json === json && p.cpuPercent === 0) return before.p;
        previous.set(key, { json, p });
        return p;
      });
    }
    const s: Sample = sample(at, [], { cores: 2 });
    s.processes = processes;
    const out = engine.tick(s, { foregroundPid: 100 });
    for (const d of out.decisions) {
      decisions.push(d);
      if (d.apply && d.change.op === 'nice') nice.set(d.target.pid, d.change.value);
    }
    engine.onResults(out.decisions.filter((d) => d.apply).map((d) => ({ decisionId: d.id, at, status: 'applied' as const })));
  }
  return decisions;
}

describe('incremental engine', () => {
  it('decides exactly the same on a replayed trace whether unchanged processes are the identical object or not', () => {
    const plain = replay(false).map((d) => ({ at: d.at, pid: d.target.pid, change: d.change, source: d.source, apply: d.apply }));
    const interned = replay(true).map((d) => ({ at: d.at, pid: d.target.pid, change: d.change, source: d.source, apply: d.apply }));
    expect(plain.length).toBeGreaterThan(0);
    expect(interned).toEqual(plain);
  });

  it('reuses an unchanged process classification, and works it out again when the rules change or the process changes', () => {
    const classifier = createClassifier();
    const policy = compilePolicy(DEFAULT_RULES_FILE);
    const idle = proc({ pid: 321, name: 'idle', cpuPercent: 0 });
    // sample() validates (and so copies) its processes: put the very same object in each tick.
    const at = (i: number) => Object.assign(sample(T0 + i * 1000, []), { processes: [idle] });
    // The engine's index says "unchanged" when a process is the object it had last tick.
    const index = createProcessIndex();
    const classify = (s: Sample, p: ReturnType<typeof compilePolicy>) => {
      index.update(s.processes);
      return classifier.classify(s, {}, p, undefined, index).get('321:3210');
    };
    const first = classify(at(1), policy);
    expect(classify(at(2), policy)).toBe(first);
    // Without the engine's word that nothing changed, it is worked out again.
    expect(classifier.classify(at(3), {}, policy).get('321:3210')).not.toBe(first);
    const second = classify(at(4), policy);
    const otherPolicy = compilePolicy(DEFAULT_RULES_FILE);
    expect(classify(at(5), otherPolicy)).not.toBe(second);
    const changed = sample(T0 + 6000, [proc({ pid: 321, name: 'idle', cpuPercent: 3 })]);
    expect(classify(changed, otherPolicy)).not.toBe(second);
  });

  it('drops what it kept for a process once the process is gone', () => {
    const classifier = createClassifier();
    const policy = compilePolicy(DEFAULT_RULES_FILE);
    const many = Array.from({ length: 50 }, (_, k) => proc({ pid: 2000 + k, name: 'short' }));
    classifier.classify(sample(T0 + 1000, many), {}, policy);
    const kept = classifier.size();
    classifier.classify(sample(T0 + 2000, []), {}, policy);
    expect(kept).toBe(50);
    expect(classifier.size()).toBe(0);
  });
});
